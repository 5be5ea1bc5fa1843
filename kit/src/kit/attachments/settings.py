"""Where a service keeps attachments and what it accepts (pydantic-settings, mixed into its settings)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from kit.attachments.intake import Limits, allowed_types
from kit.attachments.s3 import S3Location, S3Store
from kit.attachments.sniff import KNOWN
from kit.attachments.store import LocalStore, Store


class AttachmentSettings(BaseSettings):
    """Attachment store and limits; ``{service}`` in the directory and prefix is the service name."""

    service_name: str = "service"
    attachments_backend: Literal["local", "s3"] = Field(
        default="local", description="Where attachment bytes live: local disk or an S3 bucket"
    )
    attachments_dir: str = Field(
        default=".local/attachments/{service}", description="Directory of the local store"
    )
    attachments_max_bytes: int = Field(
        default=20_000_000, ge=1, description="Largest attachment accepted (bytes)"
    )
    attachments_types: list[str] = Field(
        default=list(KNOWN),
        description="Content types accepted, as sniffed from the bytes (JSON list)",
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="S3-compatible endpoint, e.g. http://minio:9000 (unset: AWS)"
    )
    s3_bucket: str = Field(default="npc-attachments", description="Bucket of the S3 store")
    s3_region: str = Field(default="us-east-1", description="Region of the bucket")
    s3_access_key_id: str | None = Field(default=None, description="Access key of the S3 store")
    s3_secret_access_key: SecretStr | None = Field(
        default=None, description="Secret key of the S3 store"
    )
    s3_prefix: str = Field(default="{service}/", description="Key prefix inside the bucket")
    s3_create_bucket: bool = Field(
        default=False, description="Create the bucket on first use when it is missing"
    )

    attachments_orphan_grace_hours: float = Field(
        default=6.0,
        gt=0,
        description="Age after which a stored object no attachment row names is deleted",
    )
    attachments_sweep_minutes: float = Field(
        default=60.0, gt=0, description="How often the orphan sweep lists the store"
    )

    def orphan_grace(self) -> timedelta:
        """Return the age below which the sweep leaves an unnamed object (an upload in flight)."""
        return timedelta(hours=self.attachments_orphan_grace_hours)

    def sweep_every(self) -> timedelta:
        """Return the least time between two listings of the store."""
        return timedelta(minutes=self.attachments_sweep_minutes)

    def attachment_limits(self) -> Limits:
        """Return the size and type limits of uploads."""
        return Limits(self.attachments_max_bytes, allowed_types(self.attachments_types))

    def attachment_store(self) -> Store:
        """Return the configured store (built on call, nothing at import)."""
        name = self.service_name
        if self.attachments_backend == "s3":
            secret = self.s3_secret_access_key
            return S3Store(
                S3Location(
                    bucket=self.s3_bucket,
                    endpoint_url=self.s3_endpoint_url,
                    region=self.s3_region,
                    access_key_id=self.s3_access_key_id,
                    secret_access_key=secret.get_secret_value() if secret else None,
                    prefix=self.s3_prefix.replace("{service}", name),
                    create_bucket=self.s3_create_bucket,
                )
            )
        return LocalStore(Path(self.attachments_dir.replace("{service}", name)))
