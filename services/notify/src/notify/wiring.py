"""Wire one instance's runtime and handlers' services from settings (no HTTP here)."""

from __future__ import annotations

import functools
import json
from collections.abc import Hashable
from datetime import timedelta
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry

from contracts.catalog import CATALOG
from kit.runtime import ServiceRuntime, build_runtime
from kit.scheduler import Lease
from kit.service import shape
from notify.adapters.base import Channels, Sender
from notify.adapters.calendar import official_workday
from notify.adapters.email import SmtpSender, SmtpSettings
from notify.adapters.robot import Robot, RobotKind, RobotSender
from notify.adapters.sms import SmsSender, SmsSettings
from notify.adapters.tables import make_schema
from notify.domain.hours import WorkingHours
from notify.domain.model import Channel
from notify.domain.ratelimit import RateLimits, TokenBucket
from notify.domain.retry import RetryPolicy
from notify.domain.routes import DEFAULT_ROUTES, parse_routes
from notify.domain.routing import RoutingTable
from notify.handlers.consumers import subscriptions
from notify.handlers.context import Services
from notify.jobs import backlog, digest, sender
from notify.metrics import NotifyMetrics, make_notify_metrics
from notify.settings import NotifySettings
from notify.templates.check import check_templates
from notify.templates.render import Renderer

__all__ = ["Core", "channels", "routing", "wire"]

Core = shape.Core[Services]
"""This service's runtime and handlers' context."""


class StartupError(RuntimeError):
    """The configuration cannot work: a routing table or a template that does not fit."""


def routing(settings: NotifySettings) -> RoutingTable:
    """Return the routing table: the defaults with the configured override."""
    if not settings.routes:
        return DEFAULT_ROUTES
    return parse_routes(json.loads(settings.routes), {t: s.model for t, s in CATALOG.items()})


def renderer(settings: NotifySettings, table: RoutingTable) -> Renderer:
    """Return the template renderer; a template that does not render fails the start."""
    made = Renderer(
        Path(settings.templates_dir) if settings.templates_dir else None,
        sender=settings.smtp_from_name,
        sms_signature=settings.sms_signature,
        app_url=settings.app_url,
    )
    problems = check_templates(made, table)
    if problems:
        raise StartupError("templates do not render: " + "; ".join(problems[:10]))
    return made


def channels(
    settings: NotifySettings,
    client: httpx.AsyncClient,
    metrics: NotifyMetrics | None = None,
) -> Channels:
    """Return the channel adapters the settings configure (e-mail always)."""

    def smtp_connection(event: str) -> None:
        if metrics is not None:
            metrics.connections.labels(channel=Channel.email.value, event=event).inc()

    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    senders: dict[Channel, Sender] = {
        Channel.email: SmtpSender(
            SmtpSettings(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.smtp_from,
                sender_name=settings.smtp_from_name,
                username=settings.smtp_username,
                password=password,
                use_tls=settings.smtp_tls == "tls",
                starttls=True
                if settings.smtp_tls == "starttls"
                else None
                if settings.smtp_tls == "none"
                else False,
                timeout=settings.smtp_timeout_seconds,
                message_id_domain=settings.message_id_domain,
                pool=settings.smtp_pool,
            ),
            smtp_connection,
        )
    }
    if settings.sms_url:
        senders[Channel.sms] = SmsSender(
            SmsSettings(
                settings.sms_url, settings.sms_api_key, settings.sms_secret.get_secret_value()
            ),
            client,
        )
    if settings.robots:
        robots = {
            key: Robot(RobotKind(r["kind"]), r["url"], r.get("secret"))
            for key, r in settings.robots.items()
        }
        senders[Channel.webhook] = RobotSender(robots, client)
    return Channels(senders)


def rate_limits(config: dict[str, str]) -> RateLimits:
    """Return the rate limits per channel ("messages/seconds"; a robot each for webhooks)."""
    parsed = {}
    for channel, text in config.items():
        count, _, seconds = text.partition("/")
        parsed[Channel(channel)] = (float(count), float(seconds or 1))

    def make(key: Hashable) -> TokenBucket | None:
        channel = key[0] if isinstance(key, tuple) else key
        if channel not in parsed:
            return None
        rate, per = parsed[channel]
        return TokenBucket(rate, per)

    return RateLimits(make)


def wire(
    settings: NotifySettings,
    *,
    registry: CollectorRegistry | None = None,
    sender_only: bool = False,
) -> Core:
    """Build the runtime, the handlers' services, the sender and the digest job.

    The sender job is scheduled when ``sender_in_process`` is set or, with ``sender_only`` (the
    ``python -m notify sender`` process), alone: the digest and backlog jobs stay with HTTP.
    """
    schema = make_schema()
    table = routing(settings)
    services: Services | None = None

    def ctx() -> Services:
        assert services is not None
        return services

    runtime = build_runtime(
        settings,
        metadata=schema.metadata,
        subscriptions=subscriptions(ctx, table),
        registry=registry,
    )
    client = httpx.AsyncClient(timeout=settings.smtp_timeout_seconds)
    metrics = make_notify_metrics(runtime.registry)
    services = Services.on(
        runtime,
        tables=schema.tables,
        routes=table,
        renderer=renderer(settings, table),
        channels=channels(settings, client, metrics),
        hours=WorkingHours(is_workday=official_workday),
        limits=rate_limits(settings.rate_limits),
        retry=RetryPolicy(
            max_attempts=settings.retry_max_attempts,
            base=timedelta(seconds=settings.retry_base_seconds),
            cap=timedelta(seconds=max(settings.retry_cap_seconds, settings.retry_base_seconds)),
        ),
        metrics=metrics,
        holder=runtime.holder,
        claim_for=timedelta(seconds=settings.sender_claim_seconds),
        batch=settings.sender_batch,
        concurrency=settings.sender_concurrency,
        mark_every=settings.sender_mark_every,
        wake_elsewhere=not settings.sender_in_process,
    )
    if settings.sender_in_process or sender_only:
        schedule_sender(runtime, services, settings)
    if not sender_only:
        runtime.schedule("digest", functools.partial(digest, services))
        runtime.schedule("backlog", functools.partial(backlog, services))
    return Core(runtime, services)


def schedule_sender(runtime: ServiceRuntime, services: Services, settings: NotifySettings) -> None:
    """Schedule the sender job: one instance at a time (its lease), its turn renewing the lease."""
    lease = settings.job_lease_seconds
    sending = Lease(  # the scheduler's lease of the job: its turn renews it and goes on
        engine=runtime.engine,
        table=runtime.tables.leases,
        name=f"{settings.service_name}:sender",
        holder=runtime.holder,
        ttl=timedelta(seconds=lease),
    )
    runtime.schedule(
        "sender",
        functools.partial(
            sender, services, runtime.stop_event, lease * 0.5, settings.sender_poll_seconds, sending
        ),
    )
