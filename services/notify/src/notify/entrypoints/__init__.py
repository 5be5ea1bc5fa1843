"""Entrypoints: the HTTP API."""
