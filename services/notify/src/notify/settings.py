"""Settings of the notify service (environment variables, ``NOTIFY_`` prefix wins)."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator

from kit.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    """What the notify service adds to the shared settings."""

    http_port: int = Field(default=8004, ge=1, le=65535)
    job_interval_seconds: float = Field(
        default=2.0, gt=0, description="Jobs' period: the sender's pause between its turns"
    )
    smtp_host: str = Field(default="127.0.0.1", description="Mail relay (Mailpit in compose)")
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "notify@npc.localhost"
    smtp_from_name: str = "县人大常委会代表工作平台"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    smtp_pool: int = Field(
        default=8, ge=1, le=100, description="SMTP connections kept open (a message at a time each)"
    )
    message_id_domain: str = "notify.npc.localhost"
    sms_url: str | None = Field(default=None, description="SMS gateway URL (no SMS when unset)")
    sms_api_key: str = ""
    sms_secret: SecretStr = SecretStr("")
    sms_signature: str = "【县人大】"
    robots: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description='Group robots by key: {"dh-office": {"kind": "dingtalk", "url": "…", "secret": "…"}}',
    )
    routes: str | None = Field(default=None, description="JSON routing override")
    templates_dir: str | None = Field(default=None, description="Folder of template overrides")
    app_url: str = ""
    retry_max_attempts: int = Field(default=8, ge=1, le=50)
    retry_base_seconds: float = Field(default=30.0, gt=0)
    retry_cap_seconds: float = Field(default=3600.0, gt=0)
    rate_limits: dict[str, str] = Field(
        default_factory=lambda: {"webhook": "20/60"},
        description='Per channel, "messages/seconds" (a robot each): {"webhook": "20/60", "sms": "50/1"}',
    )
    sender_batch: int = Field(
        default=200, ge=1, le=5000, description="Deliveries one claim of a sender's round takes"
    )
    sender_concurrency: int = Field(
        default=32,
        ge=1,
        le=500,
        description="Deliveries the sender holds claimed at once (sending or waiting for a"
        " connection); it claims more when half of them is free",
    )
    sender_mark_every: int = Field(
        default=50,
        ge=1,
        le=5000,
        description="Sends recorded together (one statement); bounds the repeats a crash causes",
    )
    sender_poll_seconds: float = Field(default=1.0, gt=0, description="Idle poll of the sender")
    sender_claim_seconds: float = Field(
        default=120.0, gt=0, description="How long a claimed delivery is a sender's (then retaken)"
    )
    sender_in_process: bool = Field(
        default=True,
        description="Send from the HTTP process; false: `python -m notify sender` sends in a "
        "process of its own (the HTTP process takes events in, digests and gauges the backlog)",
    )

    @field_validator("robots", "rate_limits", mode="before")
    @classmethod
    def _json(cls, value: Any) -> Any:
        """Accept a JSON object in an environment variable."""
        return json.loads(value) if isinstance(value, str) else value
