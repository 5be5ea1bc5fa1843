"""Use cases: load, decide in the domain, save with events in one transaction, audit."""
