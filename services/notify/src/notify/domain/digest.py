"""The daily digest: one message per recipient, channel and China day, grouped by case (pure).

Decidim's users asked for digests grouped by item with the newest first (domain.md §6.1, #14899);
CONSUL's for rate-limited digests instead of single mails. An item is counted once even when its
event is delivered twice; a group lists its items newest first, and the groups are ordered by their
newest item, urgent groups first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One notice waiting for the digest: what it is about and its one-line summary."""

    event_id: UUID
    event_type: str
    subject: str
    title: str
    line: str
    occurred_at: datetime
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class DigestGroup:
    """The items about one subject (a case, a roster, a deputy's points), newest first."""

    subject: str
    title: str
    items: tuple[DigestItem, ...]

    @property
    def newest(self) -> datetime:
        """Return when the newest item happened."""
        return self.items[0].occurred_at

    @property
    def urgent(self) -> bool:
        """Tell whether any item of the group is urgent."""
        return any(i.urgent for i in self.items)


def group(items: Iterable[DigestItem]) -> tuple[DigestGroup, ...]:
    """Return the items grouped by subject, each event once, urgent and newest groups first."""
    unique = {i.event_id: i for i in items}.values()
    by_subject: dict[str, list[DigestItem]] = {}
    for item in unique:
        by_subject.setdefault(item.subject, []).append(item)
    groups = []
    for subject, members in by_subject.items():
        members.sort(key=lambda i: (i.occurred_at, str(i.event_id)), reverse=True)
        groups.append(DigestGroup(subject, members[0].title, tuple(members)))
    groups.sort(key=lambda g: (not g.urgent, -g.newest.timestamp(), g.subject))
    return tuple(groups)


def count(groups: Iterable[DigestGroup]) -> int:
    """Return how many items the groups hold."""
    return sum(len(g.items) for g in groups)
