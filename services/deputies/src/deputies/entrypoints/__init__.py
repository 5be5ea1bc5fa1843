"""Entrypoints: HTTP routes (thin: parse, authorise, call a handler or a view)."""
