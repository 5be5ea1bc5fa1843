"""Adapters: the service's tables and repository (SQLAlchemy lives here only)."""
