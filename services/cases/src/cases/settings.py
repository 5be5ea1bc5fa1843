"""Settings of the cases service (environment variables, ``CASES_`` prefix wins)."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, field_validator

from cases.domain.clocks import parse_span
from cases.domain.workdays import parse_official
from kit.attachments import AttachmentSettings
from kit.settings import ServiceSettings


class CasesSettings(ServiceSettings, AttachmentSettings):
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

    assign_window: str = Field(
        default="7 workdays", description="Assignment (交办) deadline counted from receipt"
    )
    return_window: str = Field(
        default="7 workdays", description="Window for a unit to return (退办) a case"
    )
    extension_limit: str = Field(
        default="3 months", description="Longest extension (延期) beyond the due date"
    )
    chase_warnings: list[int] = Field(
        default=[50, 75], description="Warning thresholds, percent of the clock used"
    )
    escalation_days: dict[str, int] = Field(
        default={"township_chair": 0, "county_committee": 5, "vice_chair": 10},
        description="Escalation ladder: level -> working days overdue",
    )
    first_reminder_after: int = Field(
        default=2, ge=1, le=60, description="Working days overdue before the first reminder"
    )
    categories: dict[str, list[str]] | None = Field(
        default=None,
        description=(
            'Controlled list of categories with aliases, e.g. {"生态环境": ["环境保护", "环保"]}; '
            "unset: the built-in list"
        ),
    )

    official_calendars: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict,
        description=(
            'Official holiday arrangements per year, e.g. {"2027": {"holidays": ["2027-01-01"], '
            '"workdays": ["2027-02-06"]}}; a loaded year wins over the calendar library'
        ),
    )

    @field_validator("official_calendars")
    @classmethod
    def _official(cls, value: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
        """Refuse an arrangement that does not hold together (dates, weekdays, overlaps)."""
        parse_official(value)
        return value

    @field_validator("assign_window", "return_window", "extension_limit")
    @classmethod
    def _span(cls, value: str) -> str:
        """Refuse a clock length that is not '<n> months|days|workdays'."""
        parse_span(value)
        return value

    @field_validator(
        "clock_overrides",
        "chase_warnings",
        "escalation_days",
        "categories",
        "official_calendars",
        mode="before",
    )
    @classmethod
    def _json(cls, value: Any) -> Any:
        """Accept the overrides as a JSON object in an environment variable."""
        return json.loads(value) if isinstance(value, str) else value
