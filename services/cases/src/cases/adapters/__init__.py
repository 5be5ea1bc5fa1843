"""Persistence of cases, supervision topics and digests (SQLAlchemy Core, async)."""
