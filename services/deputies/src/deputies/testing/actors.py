"""Callers for handler-level tests: a viewer and the actor the audit log records."""

from __future__ import annotations

from dataclasses import dataclass

from deputies.handlers.context import Caller
from kit.principal import Principal, Role


@dataclass(frozen=True)
class Actor:
    """A stand-in principal: a subject and roles."""

    subject: str
    roles: frozenset[str]


def caller(
    role: str, scope: str, *, subject: str | None = None, deputy_id: str | None = None
) -> Caller:
    """Return a caller with one role and a scope."""
    name = subject or f"{role}@{scope}"
    return Caller(
        viewer=Principal(
            subject=name, roles=frozenset({Role(role)}), scope=scope, deputy_id=deputy_id
        ),
        principal=Actor(name, frozenset({role})),
    )


def county_admin(scope: str = "990101") -> Caller:
    """Return the county administration's caller."""
    return caller("county_admin", scope)
