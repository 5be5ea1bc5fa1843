"""Use cases: consuming events, rule sets, the ledger and its reviews, assessments."""
