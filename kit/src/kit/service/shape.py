"""The shape of one wired service: its runtime, its handlers' context and its HTTP app."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from fastapi import APIRouter, FastAPI

from kit.runtime import ServiceRuntime, build_app

C = TypeVar("C")


@dataclass(frozen=True)
class Core(Generic[C]):
    """The runtime (database, outbox, relay, broker, jobs) and the handlers' context, no HTTP."""

    runtime: ServiceRuntime
    services: C


@dataclass(frozen=True)
class Service(Generic[C]):
    """One wired instance: the runtime, the handlers' context and the app."""

    runtime: ServiceRuntime
    services: C
    app: FastAPI


def assemble(
    core: Core[C],
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    public_prefixes: tuple[str, ...] = (),
) -> Service[C]:
    """Put the HTTP app (health, metrics, auth, problems, the routers) on a wired core."""
    app = build_app(
        core.runtime,
        title=title,
        description=description,
        routers=routers,
        public_prefixes=public_prefixes,
    )
    return Service(core.runtime, core.services, app)
