"""Entrypoints: the HTTP API, the sender process (`python -m notify sender`)."""
