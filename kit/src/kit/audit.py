"""Append-only audit log of writes, exports and reads of restricted data; its changes and queries."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Table, and_, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.logging import correlation_id
from kit.masking import STARS, MaskKind, masked
from kit.principal import Principal, Role

ANONYMOUS = "anonymous"
CLIP = 500
"""Longest text kept as a before or after value (longer text is clipped with an ellipsis)."""


class Actor(Protocol):
    """Who acted: any principal with a subject and roles."""

    @property
    def subject(self) -> str:
        """The user id."""
        ...

    @property
    def roles(self) -> frozenset[Any]:
        """The user's roles."""
        ...


class Writer(Protocol):
    """A unit of work that queues rows for its commit (``kit.uow.UnitOfWork``)."""

    def add(self, table: Table, *rows: Mapping[str, Any]) -> None:
        """Queue rows to insert at commit."""
        ...


class AuditLog:
    """Writes audit entries in the caller's transaction, so an entry exists iff the change does."""

    def __init__(self, table: Table) -> None:
        self.table = table

    async def record(
        self,
        session: AsyncSession,
        *,
        actor: Actor | None,
        action: str,
        resource_type: str,
        resource_id: str | None = None,
        township: str | None = None,
        outcome: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append one entry; ``action`` is e.g. create, update, export, read_restricted."""
        row = self.row(
            actor=actor,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            township=township,
            outcome=outcome,
            detail=detail,
        )
        await session.execute(insert(self.table), [row])  # parameters, not a new statement

    def add(
        self,
        uow: Writer,
        *,
        actor: Actor | None,
        action: str,
        resource_type: str,
        resource_id: str | None = None,
        township: str | None = None,
        outcome: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Queue one entry in a unit of work: written with its commit (one round trip for all)."""
        uow.add(
            self.table,
            self.row(
                actor=actor,
                action=action,
                resource_type=resource_type,
                resource_id=resource_id,
                township=township,
                outcome=outcome,
                detail=detail,
            ),
        )

    @staticmethod
    def row(
        *,
        actor: Actor | None,
        action: str,
        resource_type: str,
        resource_id: str | None = None,
        township: str | None = None,
        outcome: str = "ok",
        detail: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Return one entry as a row of the audit log."""
        return {
            "at": datetime.now(UTC),
            "actor": actor.subject if actor else "system",
            "roles": ",".join(sorted(str(r) for r in actor.roles)) if actor else "",
            "action": action,
            "resource_type": resource_type,
            "resource_id": resource_id,
            "township": township,
            "outcome": outcome,
            "correlation_id": correlation_id.get(),
            "detail": detail or {},
        }

    async def record_refusal(
        self,
        session: AsyncSession,
        *,
        principal: Any | None,
        status: int,
        reason: str,
        detail: str,
        method: str,
        route: str,
        township: str | None,
    ) -> None:
        """Append one refused request: who (or ``anonymous``), the route template and why."""
        row = {
            "at": datetime.now(UTC),
            "actor": (principal.subject if principal else ANONYMOUS)[:120],
            "roles": ",".join(sorted(str(r) for r in principal.roles))[:200] if principal else "",
            "action": "refuse",
            "resource_type": "http",
            "resource_id": f"{method} {route}"[:120],
            "township": township,
            "outcome": f"refused_{status}",
            "correlation_id": correlation_id.get(),
            "detail": {
                "reason": reason,
                "detail": detail,
                "scope": principal.scope if principal else None,
                "status": status,
            },
        }
        await session.execute(insert(self.table), [row])


# -- before and after values of an update ---------------------------------------------------------

Restricted = Mapping[str, MaskKind | None]
"""Restricted fields of a record: how each is masked (``None``: never shown, only ``****``)."""


def jsonable(value: Any) -> Any:
    """Return a value as JSON can hold it: dates in ISO form, enums by value, sets sorted."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, frozenset | set):
        return sorted((jsonable(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    text = str(value)
    return text if len(text) <= CLIP else text[: CLIP - 1] + "…"


def _shown(value: Any, kind: MaskKind | None) -> Any:
    """Return a restricted value as the log may keep it: masked, or stars when it has no masker."""
    if value is None or value == "":
        return value
    if kind is None:
        return STARS
    return masked(str(value), kind, reveal=False)


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any], *, restricted: Restricted | None = None
) -> dict[str, dict[str, Any]]:
    """Return ``{field: {"before": old, "after": new}}`` of the fields that differ, restricted masked.

    A field in only one of the two counts as ``None`` in the other. A restricted field whose
    masked forms are equal (a changed middle of a phone number) still shows as changed.
    """
    hidden = restricted or {}
    out: dict[str, dict[str, Any]] = {}
    for name in sorted(set(before) | set(after), key=str):
        old, new = before.get(name), after.get(name)
        if jsonable(old) == jsonable(new):
            continue
        if name in hidden:
            out[name] = {"before": _shown(old, hidden[name]), "after": _shown(new, hidden[name])}
        else:
            out[name] = {"before": jsonable(old), "after": jsonable(new)}
    return out


def change_detail(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    restricted: Restricted | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Return an update's audit detail: ``changed`` (names), ``changes`` (before/after) and ``extra``."""
    found = changes(before, after, restricted=restricted)
    return {**{k: jsonable(v) for k, v in extra.items()}, "changed": list(found), "changes": found}


def snapshot(record: Any, fields: Iterable[str]) -> dict[str, Any]:
    """Return the named attributes of a record (taken before a change, compared after it)."""
    return {name: getattr(record, name) for name in fields}


# -- reading the log ---------------------------------------------------------------------------

READERS = (Role.auditor, Role.county_admin, Role.township_staff)
"""Who may read the audit log: auditors, and county and township staff within their own scope."""


@dataclass(frozen=True, slots=True)
class AuditScope:
    """Which rows a reader sees: places under ``prefix``, and rows with no place when ``unplaced``."""

    prefix: str
    unplaced: bool

    def covers(self, township: str) -> bool:
        """Tell whether a place lies inside the scope."""
        return township.startswith(self.prefix)


def audit_scope(principal: Principal) -> AuditScope | None:
    """Return the rows a principal may read (None: no reading of the audit log at all).

    An auditor reads every row in their scope and the rows that name no place (anonymous
    refusals, system jobs); county administration the rows of places in their county; township
    staff those of their township. Deputies, handling units and operators read none.
    """
    if principal.has(Role.auditor):
        return AuditScope(principal.scope, unplaced=True)
    if principal.has(Role.county_admin, Role.township_staff):
        return AuditScope(principal.scope, unplaced=False)
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditFilter:
    """What a reader asks for; every field narrows (``township`` is a division-code prefix)."""

    actor: str | None = None
    action: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    township: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def asked(self) -> dict[str, Any]:
        """Return the filters given, JSON-ready (for the audit entry of an export)."""
        return {k: jsonable(getattr(self, k)) for k in self.__slots__ if getattr(self, k)}


def _like_prefix(prefix: str) -> str:
    """Return a LIKE pattern of a division-code prefix (digits only: nothing to escape)."""
    return prefix + "%"


class AuditReader:
    """Reads one service's audit log: filters, a reader's scope, keyset pages newest first."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def where(self, scope: AuditScope, wanted: AuditFilter) -> list[ColumnElement[bool]]:
        """Return the conditions of a scope and a filter."""
        c = self.table.c
        placed = c.township.like(_like_prefix(scope.prefix))
        clauses: list[ColumnElement[bool]] = [
            or_(placed, c.township.is_(None)) if scope.unplaced else placed
        ]
        for name in ("actor", "action", "resource_type", "resource_id", "outcome"):
            value = getattr(wanted, name)
            if value is not None:
                clauses.append(c[name] == value)
        if wanted.township is not None:
            clauses.append(c.township.like(_like_prefix(wanted.township)))
        if wanted.since is not None:
            clauses.append(c.at >= wanted.since)
        if wanted.until is not None:
            clauses.append(c.at < wanted.until)
        return clauses

    async def page(
        self,
        session: AsyncSession,
        scope: AuditScope,
        wanted: AuditFilter,
        *,
        limit: int,
        before_id: int | None = None,
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Return up to ``limit`` rows older than ``before_id``, newest first, and the next cursor."""
        clauses = self.where(scope, wanted)
        if before_id is not None:
            clauses.append(self.table.c.id < before_id)
        query = select(self.table).where(and_(*clauses)).order_by(self.table.c.id.desc())
        rows = (await session.execute(query.limit(limit + 1))).mappings().all()
        items = [entry(row) for row in rows[:limit]]
        return items, (items[-1]["id"] if len(rows) > limit else None)


def entry(row: Mapping[Any, Any]) -> dict[str, Any]:
    """Return one audit row as the API shows it (roles as a list)."""
    roles = str(row["roles"] or "")
    return {
        "id": int(row["id"]),
        "at": row["at"],
        "actor": row["actor"],
        "roles": [r for r in roles.split(",") if r],
        "action": row["action"],
        "resource_type": row["resource_type"],
        "resource_id": row["resource_id"],
        "township": row["township"],
        "outcome": row["outcome"],
        "correlation_id": row["correlation_id"],
        "detail": row["detail"] or {},
    }


EXPORT_COLUMNS: Sequence[str] = (
    "id",
    "at",
    "actor",
    "roles",
    "action",
    "resource_type",
    "resource_id",
    "township",
    "outcome",
    "correlation_id",
    "detail",
)
