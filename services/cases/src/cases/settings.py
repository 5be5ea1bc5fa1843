"""Settings of the cases service (environment variables, ``CASES_`` prefix wins)."""

from __future__ import annotations

from pydantic import Field

from kit.settings import ServiceSettings


class CasesSettings(ServiceSettings):
    """What the cases service adds to the shared settings."""

    http_port: int = Field(default=8002, ge=1, le=65535)
    opinion_days: int = Field(
        default=30,
        ge=1,
        le=366,
        description="Default reply clock of constituents' opinions, in days (townships override)",
    )
    chase_batch: int = Field(
        default=500, ge=1, le=10_000, description="Cases one chase transaction handles"
    )
    similar_threshold: float = Field(
        default=0.25, ge=0.0, le=1.0, description="Lowest similarity proposed as a duplicate"
    )
