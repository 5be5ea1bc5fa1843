"""Attachment metrics: refusals by reason, store failures by operation, bytes kept."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter


@dataclass(frozen=True)
class AttachmentMetrics:
    """Counters of one service's attachments (labelled with the service)."""

    refused: Counter
    store_errors: Counter
    stored_bytes: Counter
    swept: Counter
    service: str

    @classmethod
    def on(cls, registry: CollectorRegistry, service: str) -> AttachmentMetrics:
        """Register the counters on a service's registry."""
        return cls(
            refused=Counter(
                "kit_attachments_refused",
                "Uploads refused (too_large, unsupported_type, empty, aborted)",
                ["service", "reason"],
                registry=registry,
            ),
            store_errors=Counter(
                "kit_attachment_store_errors",
                "Attachment store operations that failed (put, get, delete, missing, orphan)",
                ["service", "op"],
                registry=registry,
            ),
            stored_bytes=Counter(
                "kit_attachment_stored_bytes",
                "Bytes of attachments stored",
                ["service"],
                registry=registry,
            ),
            swept=Counter(
                "kit_attachment_orphans_swept",
                "Stored objects no attachment row named, deleted by the orphan sweep",
                ["service"],
                registry=registry,
            ),
            service=service,
        )

    def refusal(self, reason: str) -> None:
        """Count one refused upload."""
        self.refused.labels(self.service, reason).inc()

    def store_error(self, op: str) -> None:
        """Count one failed store operation."""
        self.store_errors.labels(self.service, op).inc()
