"""A deputy's proposal to change their own phone or address, and its decision (pure rules).

The deputy proposes against the version of their record they read; their township's staff (or
the county administration) approve or reject it. An approval applies the change as an edit
would. It is refused when a field it changes was edited meanwhile: approving would silently
overwrite that edit. Edits of other fields do not stand in its way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from deputies.domain.access import ScopeError
from deputies.domain.errors import (
    FieldError,
    InputError,
    TransitionError,
    VersionConflictError,
)
from kit.principal import Principal, Role

PROPOSABLE = ("phone", "address")
"""The fields a deputy may propose to change: their own contacts, not the ID number."""


class ProposalState(StrEnum):
    """Where a proposal stands."""

    pending = "pending"
    approved = "approved"
    rejected = "rejected"


@dataclass
class ContactProposal:
    """One proposal: the new values, those they replace, the version it was made on."""

    id: str
    deputy_id: str
    township: str
    changes: dict[str, str]
    was: dict[str, str | None]
    base_version: int
    proposed_by: str
    proposed_at: datetime
    state: ProposalState = ProposalState.pending
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    deputy_version: int | None = None
    fields: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.fields = tuple(sorted(self.changes))


def require_own(viewer: Principal, deputy_id: str) -> None:
    """Refuse unless the viewer is the deputy themself (a deputy proposes for no one else)."""
    if not (viewer.has(Role.deputy) and viewer.deputy_id == deputy_id):
        raise ScopeError("a deputy proposes changes of their own contacts only")


def proposed_changes(
    asked: Mapping[str, str | None], current: Mapping[str, str | None]
) -> dict[str, str]:
    """Return the fields that would change, or refuse: unknown, empty or nothing new."""
    errors = [
        FieldError((name,), "only phone and address may be proposed", "forbidden")
        for name in sorted(set(asked) - set(PROPOSABLE))
    ]
    errors += [
        FieldError((name,), "must not be empty", "missing")
        for name in PROPOSABLE
        if name in asked and not (asked[name] or "").strip()
    ]
    if errors:
        raise InputError(errors)
    changes = {
        name: str(asked[name]).strip()
        for name in PROPOSABLE
        if name in asked and str(asked[name]).strip() != (current.get(name) or "")
    }
    if not changes:
        raise InputError(
            [
                FieldError((name,), "the same as the record's: nothing to change", "unchanged")
                for name in PROPOSABLE
                if name in asked
            ]
            or [FieldError(PROPOSABLE, "send a new phone or address", "missing")]
        )
    return changes


def require_pending(proposal: ContactProposal) -> None:
    """Refuse a decision on a proposal already decided."""
    if proposal.state is not ProposalState.pending:
        raise TransitionError(
            f"the proposal is {proposal.state.value}",
            state=proposal.state.value,
            allowed=[ProposalState.pending.value],
        )


def require_no_conflict(
    proposal: ContactProposal, current: Mapping[str, str | None], version: int
) -> None:
    """Refuse an approval when a proposed field was edited since the proposal was made."""
    edited = sorted(n for n in proposal.fields if current.get(n) != proposal.was.get(n))
    if edited:
        raise VersionConflictError(
            f"the deputy's {', '.join(edited)} changed since the proposal "
            f"(made on version {proposal.base_version}, now {version}); reject it and let the "
            "deputy propose again"
        )
