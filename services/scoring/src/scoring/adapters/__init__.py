"""Storage of the scoring service: tables and the ledger store."""
