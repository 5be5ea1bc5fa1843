"""What every handler needs: the wiring (``Services``) and who acts (``Caller``).

The kit's ``HandlerContext`` gives ``uow``, ``audit``, ``idempotency``, ``announcements``,
``clock``, ``now()`` and ``today()`` (the China day); this adds the service's tables, routing,
templates, channels and policies.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import timedelta

from contracts.vocabulary import RecipientKind
from kit.principal import Principal, Role
from kit.scheduler import instance_id
from kit.service.context import CallerBase, HandlerContext
from kit.uow import UnitOfWork
from notify.adapters.base import Channels
from notify.adapters.directory import DirectoryCache
from notify.adapters.store import NotifyStore
from notify.adapters.tables import Tables
from notify.domain.hours import WorkingHours
from notify.domain.model import RecipientRef
from notify.domain.ratelimit import RateLimits
from notify.domain.retry import RetryPolicy
from notify.domain.routing import RoutingTable
from notify.domain.throttle import ReminderThrottle
from notify.metrics import NotifyMetrics
from notify.templates.render import Renderer

__all__ = ["Caller", "Services"]


@dataclass(frozen=True)
class Services(HandlerContext):
    """The wiring handlers run on; built once at start-up."""

    tables: Tables
    routes: RoutingTable
    renderer: Renderer
    channels: Channels
    hours: WorkingHours = field(default_factory=WorkingHours)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    throttle: ReminderThrottle = field(default_factory=ReminderThrottle)
    metrics: NotifyMetrics | None = None
    holder: str = field(default_factory=instance_id)
    claim_for: timedelta = timedelta(minutes=2)
    batch: int = 200
    concurrency: int = 32
    """Deliveries a sender holds claimed at once (``send_due``); sends in flight of a round."""
    mark_every: int = 50
    """Sends whose outcomes the sender records together (one statement, one transaction)."""
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the intake of this process commits due deliveries: the sender need not poll."""
    wake_elsewhere: bool = False
    """The sender runs in another process: the intake wakes it through PostgreSQL's NOTIFY."""
    rng: random.Random = field(default_factory=random.Random)
    limits: RateLimits = field(default_factory=lambda: RateLimits(lambda key: None))
    directory_cache: DirectoryCache = field(default_factory=DirectoryCache)
    """The intake's copy of the directory and preferences, kept while their version holds."""

    def store(self, uow: UnitOfWork) -> NotifyStore:
        """Return the store over a unit of work's session."""
        return NotifyStore(uow.session, self.tables)


@dataclass(frozen=True)
class Caller(CallerBase):
    """Who acts, the flow's correlation id and a creating request's Idempotency-Key."""

    principal: Principal

    @property
    def subject(self) -> str:
        """Return the acting user's id."""
        return self.principal.subject

    @property
    def recipient(self) -> RecipientRef:
        """Return the recipient the caller is in the directory: a deputy, a unit, or staff."""
        p = self.principal
        if p.deputy_id:
            return RecipientRef(RecipientKind.deputy, p.deputy_id)
        if p.unit_id and Role.handling_unit in p.roles:
            return RecipientRef(RecipientKind.handling_unit, p.unit_id)
        return RecipientRef(RecipientKind.staff, p.subject)
