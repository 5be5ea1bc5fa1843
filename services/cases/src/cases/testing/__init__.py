"""Helpers for the cases service's integration tests, the bench and the demo."""
