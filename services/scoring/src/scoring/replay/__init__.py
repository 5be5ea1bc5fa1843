"""Replay: rebuild scoring's derived tables from the topics, then switch over in one transaction.

``source`` reads both topics up to fixed offsets in event order, ``fold`` applies them in memory
as the consumer would, ``derived`` lists the tables rebuilt (each with its builder), ``switch``
writes the fresh tables and swaps them in; ``run`` puts it together for ``python -m scoring replay``.
"""
