"""Use cases: each opens a unit of work, lets the domain decide, writes, stages events, commits."""
