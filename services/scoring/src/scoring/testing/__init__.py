"""Helpers for the scoring service's tests: a running instance and events put on its topics."""
