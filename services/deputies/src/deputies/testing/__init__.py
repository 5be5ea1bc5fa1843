"""Helpers for the service's tests and bench (roster files, a wired service on real infrastructure)."""
