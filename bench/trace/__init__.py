"""Stall tracing of benched processes (see sitecustomize)."""
