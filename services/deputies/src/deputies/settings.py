"""Settings of the deputies service (environment variables, ``DEPUTIES_`` prefix wins)."""

from __future__ import annotations

from pydantic import Field

from kit.attachments import AttachmentSettings
from kit.settings import ServiceSettings


class DeputiesSettings(ServiceSettings, AttachmentSettings):
    """What the deputies service adds to the shared settings."""

    http_port: int = Field(default=8001, ge=1, le=65535)
    roster_stale_days: int = Field(
        default=180, ge=1, description="A roster not verified for this many days is stale"
    )
    station_stale_days: int = Field(
        default=90, ge=1, description="A station whose content is this old is stale"
    )
    import_max_bytes: int = Field(
        default=20_000_000, ge=1, description="Largest roster file accepted for import"
    )
    feed_token_days: int = Field(
        default=180,
        ge=1,
        le=3660,
        description="Days a calendar feed token opens its feed (then the person issues a new one)",
    )
    page_size_max: int = Field(default=200, ge=1, description="Largest page of a list")
    county_name: str = Field(
        default="", max_length=50, description="The county's name on printed documents (青山县)"
    )
