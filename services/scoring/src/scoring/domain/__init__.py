"""The scoring domain: rule documents, facts, the ledger, score cards and the township assessment.

Pure: no web framework, database or broker; it may read the contracts and kit.clock.
"""
