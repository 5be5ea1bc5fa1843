"""Settings of the cases service (environment variables, ``CASES_`` prefix wins)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, field_validator

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
    clock_overrides: dict[str, str] = Field(
        default_factory=dict,
        description=(
            'Reply clocks per kind and category, e.g. {"suggestion:城乡建设": "4 months", '
            '"opinion:民生": "15 workdays"} (clock: suggestion, complex_suggestion, rehandling, '
            "opinion; units: months, days, workdays)"
        ),
    )

    @field_validator("clock_overrides", mode="before")
    @classmethod
    def _json(cls, value: Any) -> Any:
        """Accept the overrides as a JSON object in an environment variable."""
        return json.loads(value) if isinstance(value, str) else value
