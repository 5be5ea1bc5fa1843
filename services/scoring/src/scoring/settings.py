"""Settings of the scoring service (environment variables, ``SCORING_`` prefix wins)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from kit.settings import ServiceSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
"""The service's Alembic migrations (here, not in ``bootstrap``: a replay migrates without the app)."""


class ScoringSettings(ServiceSettings):
    """What the scoring service adds to the shared settings."""

    http_port: int = Field(default=8003, ge=1, le=65535)
    contest_days: int = Field(
        default=30,
        ge=1,
        le=366,
        description="Days after an entry is recorded during which its deputy may contest it (错重漏)",
    )
    consumer_max_records: int = Field(
        default=2000,
        ge=1,
        description="Messages per consumed batch (a batch's cost is mostly per batch, not per event)",
    )
