"""What the four services really are, read from their code: settings, routes, metrics, consumer groups.

The deployment tests (compose, Kubernetes, alerts, dashboards) check the files under deploy/ against
these facts instead of against lists written by hand. Each service is wired once per session by its
own composition root (`<service>.bootstrap.build`) on an empty SQLite file and an unreachable broker;
nothing is started (no lifespan), so the apps answer their public routes and the registries hold
every metric the service registers when it is wired.
"""

from __future__ import annotations

import importlib
import os
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from prometheus_client.metrics import MetricWrapperBase

from kit.settings import ServiceSettings

APP_SERVICES = ("deputies", "cases", "scoring", "notify")
# What each metric type exposes to Prometheus beside (or instead of) its family name.
_SUFFIXES = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("", "_sum", "_count"),
    "info": ("_info",),
    "stateset": ("",),
    "enum": ("",),
}


@dataclass(frozen=True)
class Wired:
    """One service built by its composition root, not started."""

    settings_class: type[ServiceSettings]
    app: FastAPI
    registry: CollectorRegistry
    groups: tuple[str, ...]
    topics: tuple[str, ...]
    commands: tuple[CollectorRegistry, ...] = ()
    """Registries of the service's commands that serve metrics too (scoring's replay)."""


def _settings_class(name: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"{name}.settings")
    classes = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, ServiceSettings)
        and value is not ServiceSettings
    ]
    assert len(classes) == 1, f"{name}.settings should define one settings class: {classes}"
    return classes[0]


def _build(name: str, folder: Path) -> Wired:
    settings_class = _settings_class(name)
    settings = settings_class.for_service(
        name,
        database_url=f"sqlite+aiosqlite:///{folder / name}.db",
        kafka_bootstrap_servers="127.0.0.1:1",  # nothing listens: the broker is reported down
        dev_mode=True,
    )
    registry = CollectorRegistry()
    build: Callable[..., Any] = importlib.import_module(f"{name}.bootstrap").build
    service = build(settings, registry=registry)
    commands: list[CollectorRegistry] = []
    if name == "scoring":  # the replay command serves these on its --metrics-port (same job)
        from scoring.replay.progress import make_replay_metrics

        commands.append(CollectorRegistry())
        make_replay_metrics(commands[-1])
    runners = service.runtime.runners
    return Wired(
        settings_class=settings_class,
        app=service.app,
        registry=registry,
        groups=tuple(runner.subscription.group for runner in runners),
        topics=tuple(sorted({t for runner in runners for t in runner.subscription.topics})),
        commands=tuple(commands),
    )


@pytest.fixture(scope="session")
def wired(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Wired]:
    """The four services, each built once (about ten seconds, most of it imports)."""
    folder = tmp_path_factory.mktemp("wired")
    return {name: _build(name, folder) for name in APP_SERVICES}


@pytest.fixture(scope="session")
def setting_names(wired: dict[str, Wired]) -> dict[str, frozenset[str]]:
    """Per service, every environment variable its settings read (`X` and `<SERVICE>_X`)."""
    names: dict[str, frozenset[str]] = {}
    for name, service in wired.items():
        fields = {field.upper() for field in service.settings_class.model_fields}
        names[name] = frozenset(fields | {f"{name.upper()}_{field}" for field in fields})
    return names


@pytest.fixture(scope="session")
def load_settings(wired: dict[str, Wired]) -> Callable[[str, dict[str, str]], dict[str, Any]]:
    """Read a service's settings from exactly this environment (raises when a value is invalid)."""

    def load(name: str, environ: dict[str, str]) -> dict[str, Any]:
        settings_class = wired[name].settings_class
        with mock.patch.dict(os.environ, environ, clear=True):
            return settings_class.for_service(name).model_dump()

    return load


@pytest.fixture(scope="session")
def http_get(wired: dict[str, Wired]) -> Iterator[Callable[[str, str], int]]:
    """GET a path of a service without a token (as a probe or Prometheus does); return the status."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette's note on httpx, not ours to fix
        from fastapi.testclient import TestClient

    clients = {name: TestClient(service.app) for name, service in wired.items()}

    def get(name: str, path: str) -> int:
        status: int = clients[name].get(path).status_code
        return status

    yield get
    for client in clients.values():
        client.close()


@pytest.fixture(scope="session")
def exported_metrics(wired: dict[str, Wired]) -> dict[str, dict[str, frozenset[str]]]:
    """Per service, every series name it exports on /metrics with the labels it carries."""
    exported: dict[str, dict[str, frozenset[str]]] = {}
    for name, service in wired.items():
        series: dict[str, frozenset[str]] = {}
        # The registry's collectors are the metric objects the code created (prometheus-client keeps
        # them in this mapping; it has no public accessor for a metric's label names).
        collectors = [
            c for r in (*service.commands, service.registry) for c in r._collector_to_names
        ]
        for collector in collectors:
            assert isinstance(collector, MetricWrapperBase), collector
            labels = frozenset(collector._labelnames)
            for family in collector.describe():
                for suffix in _SUFFIXES[family.type]:
                    extra = {"le"} if suffix == "_bucket" else set()
                    series[family.name + suffix] = labels | extra
        exported[name] = series
    return exported


@pytest.fixture(scope="session")
def route_templates(wired: dict[str, Wired]) -> dict[str, frozenset[str]]:
    """Per service, the route templates its HTTP metrics carry (`/api/v1/cases/{case_id}`, `/readyz`)."""
    public = {"/livez", "/readyz", "/metrics", "/docs", "/openapi.json", "/asyncapi.json"}
    return {
        name: frozenset({*service.app.openapi()["paths"], *public})
        for name, service in wired.items()
    }
