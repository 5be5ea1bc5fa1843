"""Refusals on record: every 401, 403 and hidden 404 leaves a security-log line, a counter and an audit row."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import Scope

from kit.audit import AuditLog
from kit.principal import Principal
from kit.web.routes import asked_township, route_template

security_log = logging.getLogger("kit.security")
log = logging.getLogger(__name__)
AUDIT_TIMEOUT_SECONDS = 2.0

# Bounded label values of ``kit_http_refusals_total{reason}``.
REASONS = ("no_token", "expired_token", "invalid_token", "role", "scope", "forbidden", "hidden")


def token_reason(detail: str) -> str:
    """Return the counter reason of a refused token (``no_token``, ``expired_token``, ...)."""
    if detail == "no_token":
        return "no_token"
    return "expired_token" if detail == "expired" else "invalid_token"


@dataclass(frozen=True)
class WebMetrics:
    """The HTTP layer's own counters: refusals and requests answered 503."""

    refusals: Counter
    unavailable: Counter


def make_web_metrics(registry: CollectorRegistry) -> WebMetrics:
    """Create the HTTP layer's counters on the service's registry."""
    return WebMetrics(
        refusals=Counter(
            "kit_http_refusals",
            "Requests refused: 401 (no_token, expired_token, invalid_token), 403 (role, scope, "
            "forbidden), 404 hiding an out-of-scope record (hidden)",
            ["service", "reason"],
            registry=registry,
        ),
        unavailable=Counter(
            "kit_http_unavailable",
            "Requests answered 503 because a dependency (the database) could not be reached",
            ["service", "cause"],
            registry=registry,
        ),
    )


class Refusals:
    """Records each refusal of one service: log line, counter and, with a database, an audit row."""

    def __init__(
        self,
        *,
        service: str,
        metrics: WebMetrics,
        audit: AuditLog | None = None,
        sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self.service = service
        self.metrics = metrics
        self.audit = audit
        self.sessionmaker = sessionmaker

    async def record(
        self,
        scope: Scope,
        *,
        status: int,
        reason: str,
        principal: Principal | None,
        township: str | None = None,
        detail: str = "",
    ) -> None:
        """Log, count and audit one refusal; never fails the request it refuses."""
        route = route_template(scope)
        asked = township or asked_township(scope)
        entry: dict[str, Any] = {
            "event": "refused",
            "status": status,
            "reason": reason,
            "detail": detail[:200],
            "method": str(scope.get("method", "")),
            "route": route,
            "township": asked,
            "subject": principal.subject if principal else "anonymous",
            "roles": sorted(str(r) for r in principal.roles) if principal else [],
            "scope": principal.scope if principal else None,
        }
        security_log.warning(
            "refused %s %s %s: %s", status, entry["method"], route, reason, extra=entry
        )
        self.metrics.refusals.labels(self.service, reason).inc()
        if self.audit is None or self.sessionmaker is None:
            return
        try:
            async with asyncio.timeout(AUDIT_TIMEOUT_SECONDS), self.sessionmaker() as session:
                await self.audit.record_refusal(session, principal=principal, **_row(entry))
                await session.commit()
        except Exception as error:  # the database may be the reason; the log line stands
            log.warning("refusal not audited: %s", type(error).__name__)


def _row(entry: dict[str, Any]) -> dict[str, Any]:
    """Return the audit-row fields of a refusal entry."""
    return {
        key: entry[key] for key in ("status", "reason", "detail", "method", "route", "township")
    }


def refusals_of(app: Any) -> Refusals | None:
    """Return the app's refusal recorder, if ``install_refusals`` gave it one."""
    found = getattr(getattr(app, "state", None), "refusals", None)
    return found if isinstance(found, Refusals) else None


def install_refusals(
    app: Any,
    *,
    service: str,
    registry: CollectorRegistry,
    audit: AuditLog | None = None,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
) -> Refusals:
    """Give the app a refusal recorder and the HTTP counters on the service's registry."""
    refusals = Refusals(
        service=service,
        metrics=make_web_metrics(registry),
        audit=audit,
        sessionmaker=sessionmaker,
    )
    app.state.refusals = refusals
    return refusals
