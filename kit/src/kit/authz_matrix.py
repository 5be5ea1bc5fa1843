"""The platform's one authorisation matrix: each service declares its routes, one runner checks them.

A service's matrix lives in ``services/<name>/tests/integration/test_<name>_authz.py``. It keeps
its routes in its own short form (a ``Route(name, ..., call)`` per line: who may call it is in the
entry) and hands them to :func:`run_matrix` with four small functions::

    expect(route, role, where) -> None | int    None: allowed; else the refusal (403, 404, 422)
    auth(role, where) -> headers                the caller's token, "own" or "other" place
    prepare(route, where) -> ctx                the records one call needs (a case in a state, ...)
    route.call(client, ctx, headers)            one real request against the real app

The runner calls every route without a token (401), then as each of the seven roles on its own
and on the other place, and checks every cell:

- an allowed call is not refused (401, 403, its refusal code); ``strict``: not any 4xx at all;
- a refused call answers exactly its refusal; a 401/403 writes one ``refuse`` row to the audit
  log with that status, and no refused call writes any other audit row;
- no call answers 5xx;
- every operation of the app's OpenAPI was requested by some cell: a new route without an entry
  fails (``exempt`` names an operation no cell can reach, with the reason).

It returns a :class:`Report`: ``report.check()`` fails the test listing every wrong cell and every
operation no entry covers; with ``AUTHZ_REPORT_DIR`` set it also writes ``<service>.md`` there.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    import httpx

ROLES = (
    "county_admin",
    "county_leader",
    "auditor",
    "township_staff",
    "deputy",
    "handling_unit",
    "operator",
)
PLACES = ("own", "other")
METHODS = ("get", "put", "post", "delete", "patch")
AUDITED = (401, 403)


class Declared(Protocol):
    """A route as a service's matrix declares it: a name and how to call it."""

    @property
    def name(self) -> str:
        """What the route does, as the report names it."""
        ...

    @property
    def call(self) -> Callable[[httpx.AsyncClient, Any, dict[str, str]], Any]:
        """Make the one request of this route, with these records and these headers."""
        ...


R = TypeVar("R", bound=Declared)


@dataclass
class Report:
    """What one service's matrix saw: every cell's status, what went wrong, what is not covered."""

    service: str
    cells: list[tuple[str, str, str, int]] = field(default_factory=list)
    operations: dict[str, set[str]] = field(default_factory=dict)  # route name -> "GET /path"
    wrong: list[str] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)

    @property
    def statuses(self) -> Counter[int]:
        """How many cells answered each status."""
        return Counter(status for *_, status in self.cells)

    def render(self) -> str:
        """Return the report as Markdown: a row per route, then what is wrong and uncovered."""
        lines = [
            f"# Authorisation matrix: {self.service}",
            "",
            f"{len(self.cells)} cells, statuses {dict(sorted(self.statuses.items()))}",
            "",
            "| route | operation | " + " | ".join(f"{r} own/other" for r in ROLES) + " |",
            "|---" * (len(ROLES) + 2) + "|",
        ]
        seen: dict[tuple[str, str, str], int] = {(n, r, w): s for n, r, w, s in self.cells}
        for name in dict.fromkeys(n for n, *_ in self.cells):
            ops = ", ".join(sorted(self.operations.get(name, set()))) or "—"
            row = [
                f"{seen.get((name, r, 'own'), '')}/{seen.get((name, r, 'other'), '')}"
                for r in ROLES
            ]
            lines.append(f"| {name} | {ops} | " + " | ".join(row) + " |")
        lines += ["", "Wrong:", *(f"- {w}" for w in self.wrong or ["none"])]
        lines += ["", "Not covered:", *(f"- {u}" for u in self.uncovered or ["none"])]
        return "\n".join(lines) + "\n"

    def check(self) -> None:
        """Fail with every wrong cell and every uncovered operation; write the report if asked."""
        where = os.environ.get("AUTHZ_REPORT_DIR")
        if where:
            Path(where).mkdir(parents=True, exist_ok=True)
            (Path(where) / f"{self.service}.md").write_text(self.render(), encoding="utf-8")
        problems = self.wrong + [f"no matrix entry calls {u}" for u in self.uncovered]
        assert not problems, f"{self.service}: " + "\n".join(problems)


def operations(openapi: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Return every (METHOD, path template) of an OpenAPI document."""
    return [
        (method.upper(), path)
        for path, item in openapi.get("paths", {}).items()
        for method in item
        if method in METHODS
    ]


class Operations:
    """Matches a request's method and path to the OpenAPI operation it calls."""

    def __init__(self, openapi: Mapping[str, Any]) -> None:
        self.all = operations(openapi)
        # literal paths before templated ones, as the router tries them
        ranked = sorted(self.all, key=lambda op: (op[1].count("{"), op[1]))
        self.patterns = [
            (
                method,
                path,
                re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"),
            )
            for method, path in ranked
        ]

    def of(self, method: str, path: str) -> str | None:
        """Return "METHOD /template" of a request, or None when no operation matches."""
        for op_method, template, pattern in self.patterns:
            if op_method == method and pattern.match(path):
                return f"{op_method} {template}"
        return None


async def _audit_counts(engine: AsyncEngine | None, table: Table | None) -> Counter[str]:
    """Return the audit log's rows by outcome ("refused_403", ...) and ``other`` for the rest."""
    if engine is None or table is None:
        return Counter()
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(table.c.action, table.c.outcome, func.count()).group_by(
                table.c.action, table.c.outcome
            )
        )
        counts: Counter[str] = Counter()
        for action, outcome, n in rows:
            counts[outcome if action == "refuse" else "other"] += int(n)
        return counts


async def _nothing(route: Any, where: str) -> dict[str, Any]:
    return {}


async def run_matrix(
    service: str,
    client: httpx.AsyncClient,
    *,
    openapi: Mapping[str, Any],
    routes: Sequence[R],
    expect: Callable[[R, str, str], int | None],
    auth: Callable[[str, str], dict[str, str]],
    prepare: Callable[[R, str], Awaitable[Any]] = _nothing,
    audit: tuple[AsyncEngine, Table] | None = None,
    strict: bool = True,
    refusals_first: bool = False,
    anonymous: bool = True,
    roles: Iterable[str] = ROLES,
    exempt: Mapping[str, str] | None = None,
) -> Report:
    """Call every route x role x own/other place once; judge each cell (see the module's text).

    ``refusals_first``: a route's refused cells run before its allowed ones, for matrices whose
    cells share records (an allowed write cannot then change what a refusal sees). Not ``strict``:
    an allowed call may still fail its own validation (409/412/422), it must only not be refused.
    """
    engine, table = audit if audit else (None, None)
    report = Report(service)
    known = Operations(openapi)
    hits: list[tuple[str, str]] = []
    recording = False

    async def record(request: httpx.Request) -> None:
        if recording:
            hits.append((request.method, request.url.path))

    client.event_hooks = {**client.event_hooks, "request": [*client.event_hooks["request"], record]}

    async def one(route: R, role: str, where: str, refusal: int | None) -> int:
        nonlocal recording
        ctx = await prepare(route, where)
        before = await _audit_counts(engine, table) if refusal is not None else Counter()
        headers = auth(role, where) if role != "anonymous" else {}
        hits.clear()
        recording = True
        try:
            response = await route.call(client, ctx, headers)
        finally:
            recording = False
        for method, path in hits:
            matched = known.of(method, path)
            if matched is not None:
                report.operations.setdefault(route.name, set()).add(matched)
        status = int(response.status_code)
        report.cells.append((route.name, role, where, status))
        cell = f"{route.name} / {role} / {where}: {status}"
        if status >= 500:
            report.wrong.append(f"{cell} (server error) {response.text[:200]}")
        elif refusal is None:
            if status in (401, 403) or (strict and status >= 400):
                report.wrong.append(f"{cell}, expected allowed {response.text[:200]}")
        elif status != refusal:
            report.wrong.append(f"{cell}, expected {refusal} {response.text[:200]}")
        if refusal is not None and engine is not None:
            changed = await _audit_counts(engine, table) - before
            if status in AUDITED and changed[f"refused_{status}"] != 1:
                report.wrong.append(f"{cell}: the refusal was not audited once")
            if changed["other"]:
                report.wrong.append(f"{cell}: a refused call wrote {changed['other']} audit rows")
        return status

    cast = tuple(roles)
    for route in routes:
        if anonymous:
            await one(route, "anonymous", "own", 401)
        cells = [(role, where) for where in PLACES for role in cast]
        if refusals_first:
            cells.sort(key=lambda c: expect(route, c[0], c[1]) is None)
        for role, where in cells:
            await one(route, role, where, expect(route, role, where))
    covered = {op for ops in report.operations.values() for op in ops}
    excused = dict(exempt or {})
    report.uncovered = [
        f"{m} {p}" for m, p in known.all if f"{m} {p}" not in covered | excused.keys()
    ]
    return report
