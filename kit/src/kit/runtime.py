"""Composition root helpers: wire a service's database, outbox, relay, consumers and HTTP app."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from contracts import asyncapi as contract_asyncapi, topics as contract_topics
from kit.announcements import Announcements
from kit.audit import AuditLog
from kit.auth import install_auth
from kit.auth.dependencies import PUBLIC_PATHS
from kit.broker import BrokerPublisher, ProducerPublisher, ensure_platform_topics, make_broker
from kit.correlation import install_correlation
from kit.db import KitTables, kit_tables, make_engine, make_sessionmaker
from kit.health import health_router, install_http_metrics
from kit.idempotency import IdempotencyKeys
from kit.inbox import Inbox
from kit.metrics import KitMetrics, make_metrics
from kit.outbox import Outbox
from kit.relay import OutboxRelay
from kit.runner import ConsumerRunner, Subscription
from kit.scheduler import Lease, instance_id, run_periodically
from kit.settings import ServiceSettings
from kit.tracing import configure_tracing
from kit.uow import UnitOfWorkFactory, uow_factory
from kit.web.devclock import install_dev_clock
from kit.web.docs import install_docs
from kit.web.domain_errors import install_domain_errors
from kit.web.nul import install_nul_guard
from kit.web.problems import install_problem_handlers
from kit.web.refusals import install_refusals
from kit.web.requests import install_precondition_docs

log = logging.getLogger(__name__)

#: FastStream's AsyncAPI document of the service's subscriptions, and the contract's beside it.
ASYNCAPI_PATH = "/asyncapi.json"
CONTRACT_ASYNCAPI_PATH = "/asyncapi/contracts.json"


@dataclass
class ServiceRuntime:
    """Everything one service instance runs on; built by ``build_runtime``, nothing global."""

    settings: ServiceSettings
    registry: CollectorRegistry
    metrics: KitMetrics
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    tables: KitTables
    outbox: Outbox
    inbox: Inbox
    audit: AuditLog
    idempotency: IdempotencyKeys
    announcements: Announcements
    broker: KafkaBroker
    publisher: BrokerPublisher | ProducerPublisher
    uow: UnitOfWorkFactory
    relay: OutboxRelay
    runners: list[ConsumerRunner]
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    jobs: dict[str, Callable[[], Awaitable[object]]] = field(default_factory=dict)
    job_runs: Counter[str] = field(default_factory=Counter)
    """How many times each job finished on this instance (tests wait on it, never on a sleep)."""
    holder: str = field(default_factory=instance_id)
    readiness_details: Callable[[], Mapping[str, object]] | None = None

    def schedule(self, name: str, job: Callable[[], Awaitable[object]]) -> None:
        """Register a periodic job; it runs on one instance at a time once started."""
        self.jobs[name] = job

    async def start(self, *, relay: bool = True, consumers: bool = True, jobs: bool = True) -> None:
        """Connect the broker, create topics, start the relay, the consumers and the jobs."""
        self.stop_event.clear()
        await self.broker.connect()
        if isinstance(self.publisher, ProducerPublisher):
            await self.publisher.start()
        await ensure_platform_topics(
            self.settings, [self.settings.kafka_topic_prefix + t for t in contract_topics.ALL]
        )
        if relay:
            self.tasks.append(asyncio.create_task(self.relay.run(self.stop_event), name="relay"))
        if consumers:
            for runner in self.runners:
                name = f"consumer:{runner.subscription.group}"
                self.tasks.append(asyncio.create_task(runner.run(self.stop_event), name=name))
        if jobs:
            for name, job in self.jobs.items():
                lease = Lease(
                    engine=self.engine,
                    table=self.tables.leases,
                    name=f"{self.settings.service_name}:{name}",
                    holder=self.holder,
                    ttl=timedelta(seconds=self.settings.job_lease_seconds),
                )
                run = run_periodically(
                    functools.partial(self._counted, name, job),
                    lease=lease,
                    interval=self.settings.job_interval_seconds,
                    stop=self.stop_event,
                )
                self.tasks.append(asyncio.create_task(run, name=f"job:{name}"))

    async def _counted(self, name: str, job: Callable[[], Awaitable[object]]) -> object:
        result = await job()
        self.job_runs[name] += 1
        return result

    async def stop(self) -> None:
        """Stop background work, then close the broker and the database."""
        self.stop_event.set()
        if self.tasks:
            _, pending = await asyncio.wait(self.tasks, timeout=20)
            for task in pending:
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()
        with contextlib.suppress(Exception):
            if isinstance(self.publisher, ProducerPublisher):
                await self.publisher.stop()
        with contextlib.suppress(Exception):
            await self.broker.stop()
        await self.engine.dispose()


def build_runtime(
    settings: ServiceSettings,
    *,
    metadata: MetaData,
    subscriptions: Sequence[Subscription] = (),
    registry: CollectorRegistry | None = None,
) -> ServiceRuntime:
    """Wire a service instance from its settings and its metadata (which gets the kit tables)."""
    configure_tracing(settings.service_name)  # before the broker: only with an OTLP endpoint
    registry = registry or CollectorRegistry()
    metrics = make_metrics(registry)
    engine = make_engine(settings.database_url, pool_size=settings.database_pool_size)
    sessionmaker = make_sessionmaker(engine)
    tables = (
        KitTables(
            outbox=metadata.tables["outbox"],
            inbox=metadata.tables["inbox"],
            audit_log=metadata.tables["audit_log"],
            leases=metadata.tables["leases"],
            idempotency_keys=metadata.tables["idempotency_keys"],
            announcements=metadata.tables["announcements_made"],
        )
        if "outbox" in metadata.tables
        else kit_tables(metadata)
    )
    outbox = Outbox(
        table=tables.outbox, service=settings.service_name, topic_prefix=settings.kafka_topic_prefix
    )
    inbox = Inbox(tables.inbox)
    broker = make_broker(settings, registry)
    publisher: BrokerPublisher | ProducerPublisher = (
        ProducerPublisher(settings)
        if settings.kafka_publisher == "aiokafka"
        else BrokerPublisher(broker)
    )
    uow = uow_factory(sessionmaker, outbox)
    relay = OutboxRelay(
        engine=engine,
        outbox=outbox,
        publisher=publisher,
        metrics=metrics,
        batch_size=settings.relay_batch_size,
        poll_seconds=settings.relay_poll_seconds,
        linger_seconds=settings.relay_linger_seconds,
        send_timeout=settings.relay_send_timeout_seconds,
        gauge_seconds=settings.outbox_gauge_seconds,
    )
    runners = [
        ConsumerRunner(
            subscription=s,
            settings=settings,
            uow_factory=uow,
            inbox=inbox,
            publisher=publisher,
            metrics=metrics,
            broker=broker,
        )
        for s in subscriptions
    ]
    return ServiceRuntime(
        settings=settings,
        registry=registry,
        metrics=metrics,
        engine=engine,
        sessionmaker=sessionmaker,
        tables=tables,
        outbox=outbox,
        inbox=inbox,
        audit=AuditLog(tables.audit_log),
        idempotency=IdempotencyKeys(tables.idempotency_keys),
        announcements=Announcements(tables.announcements),
        broker=broker,
        publisher=publisher,
        uow=uow,
        relay=relay,
        runners=runners,
    )


def build_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    version: str = "1.0.0",
    routers: Sequence[APIRouter] = (),
    description: str = "",
    public_prefixes: tuple[str, ...] = (),
) -> FastAPI:
    """Return the service's HTTP app; its lifespan starts and stops the runtime."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start(relay=runtime.settings.relay_in_process)
        if not runtime.settings.relay_in_process:  # `python -m <service> relay` publishes
            runtime.tasks.append(
                asyncio.create_task(runtime.relay.watch_gauges(runtime.stop_event), name="gauges")
            )
        settle_heap()
        try:
            yield
        finally:
            await runtime.stop()

    # the HTTP server span is FastAPI's native telemetry (on once a tracer provider is installed)
    app = FastAPI(title=title, version=version, description=description, lifespan=lifespan)
    app.state.runtime = runtime
    install_nul_guard(app)  # inside authentication: a 401 first, then text PostgreSQL can store
    install_auth(  # innermost middleware: authenticate before routing
        app,
        runtime.settings,
        public=PUBLIC_PATHS | {ASYNCAPI_PATH, CONTRACT_ASYNCAPI_PATH},
        public_prefixes=public_prefixes,
    )
    install_refusals(
        app,
        service=runtime.settings.service_name,
        registry=runtime.registry,
        audit=runtime.audit,
        sessionmaker=runtime.sessionmaker,
    )
    install_problem_handlers(app)
    install_domain_errors(app)
    install_http_metrics(app, service=runtime.settings.service_name, metrics=runtime.metrics)
    install_correlation(app)
    if runtime.settings.dev_mode:  # never in production: lets the demo loader play a past year
        install_dev_clock(app)
    app.include_router(
        health_router(
            service=runtime.settings.service_name,
            engine=runtime.engine,
            broker=runtime.broker,
            registry=runtime.registry,
            metrics=runtime.metrics,
            details=runtime.readiness_details,
        )
    )
    app.include_router(asyncapi_router(runtime, title=title, version=version))
    for router in routers:
        app.include_router(router, prefix="/api/v1")
    install_docs(app)
    install_precondition_docs(app)
    return app


_heap_settled = False


def settle_heap() -> None:
    """Move everything built at start-up out of the garbage collector's way (``gc.freeze``).

    Modules, routes, metadata, the tokenizer's dictionary: hundreds of thousands of objects that
    live as long as the process. Frozen, the cyclic collector no longer walks them on every full
    collection a stream of requests triggers.
    """
    global _heap_settled
    if _heap_settled:  # once per process: a test session starts many apps
        return
    _heap_settled = True
    gc.collect()
    gc.freeze()


def subscriptions_asyncapi(runtime: ServiceRuntime, *, title: str, version: str) -> dict[str, Any]:
    """Return FastStream's AsyncAPI 3.0 document of the service's subscribers."""
    spec = AsyncAPI(
        runtime.broker,
        title=f"{title}: subscriptions",
        version=version,
        description=f"What {runtime.settings.service_name} consumes; the events' contract is at "
        f"{CONTRACT_ASYNCAPI_PATH}.",
    )
    document: dict[str, Any] = spec.to_specification().to_jsonable()
    return document


def asyncapi_router(runtime: ServiceRuntime, *, title: str, version: str) -> APIRouter:
    """Serve the subscriptions' AsyncAPI document and the contract's (both public, no data)."""
    router = APIRouter(include_in_schema=False)
    subscriptions = subscriptions_asyncapi(runtime, title=title, version=version)
    contract = contract_asyncapi.document()

    @router.get(ASYNCAPI_PATH)
    async def asyncapi() -> JSONResponse:
        return JSONResponse(subscriptions)

    @router.get(CONTRACT_ASYNCAPI_PATH)
    async def contract_document() -> JSONResponse:
        return JSONResponse(contract)

    return router
