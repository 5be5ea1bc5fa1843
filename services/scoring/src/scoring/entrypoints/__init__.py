"""Entrypoints of the scoring service (HTTP)."""
