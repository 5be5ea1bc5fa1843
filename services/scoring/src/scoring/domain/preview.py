"""Preview a draft rule set: re-derive the same facts under it and show what changes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from contracts.vocabulary import DeputyGrade
from scoring.domain.entries import Entry
from scoring.domain.facts import Fact
from scoring.domain.ledger import derive
from scoring.domain.rules import RuleSet
from scoring.domain.scorecard import score_cards


@dataclass(frozen=True)
class EntryChange:
    """An entry the draft adds (``now`` None), drops (``draft`` None) or changes."""

    entry_id: str
    now: Entry | None
    draft: Entry | None


@dataclass(frozen=True)
class DeputyComparison:
    """A deputy's total and grade under the active rules and under the draft."""

    deputy_id: str
    total_now: Decimal
    total_draft: Decimal
    grade_now: DeputyGrade
    grade_draft: DeputyGrade

    @property
    def changed(self) -> bool:
        """Tell whether the draft moves the total or the grade."""
        return self.total_now != self.total_draft or self.grade_now != self.grade_draft


@dataclass(frozen=True)
class Preview:
    """Every entry that changes and every deputy's total and grade, now and under the draft."""

    changes: tuple[EntryChange, ...]
    deputies: tuple[DeputyComparison, ...]

    @property
    def empty(self) -> bool:
        """Tell whether the draft changes nothing at all."""
        return not self.changes and not any(d.changed for d in self.deputies)


def _same(now: Entry, draft: Entry) -> bool:
    return dataclasses.replace(draft, rule_set_version=now.rule_set_version) == now


def diff(now: Iterable[Entry], draft: Iterable[Entry]) -> tuple[EntryChange, ...]:
    """Return the entries that differ between two ledgers of the same facts (by entry id)."""
    before = {e.entry_id: e for e in now}
    after = {e.entry_id: e for e in draft}
    changes = []
    for entry_id in [*before, *(i for i in after if i not in before)]:
        a, b = before.get(entry_id), after.get(entry_id)
        if a is None or b is None or not _same(a, b):
            changes.append(EntryChange(entry_id, a, b))
    return tuple(changes)


def preview(
    facts: Sequence[Fact], active: RuleSet, draft: RuleSet, deputy_ids: Iterable[str] = ()
) -> Preview:
    """Return what activating ``draft`` instead of ``active`` would change, for every deputy."""
    if (draft.county, draft.year) != (active.county, active.year):
        raise ValueError("a draft previews against the active rules of its own county and year")
    now, then = derive(facts, active), derive(facts, draft)
    ids = set(deputy_ids)
    cards_now = score_cards(now, active, ids | {e.deputy_id for e in then})
    cards_draft = score_cards(then, draft, set(cards_now))
    deputies = tuple(
        DeputyComparison(
            deputy_id,
            cards_now[deputy_id].total,
            cards_draft[deputy_id].total,
            cards_now[deputy_id].grade,
            cards_draft[deputy_id].grade,
        )
        for deputy_id in sorted(cards_now)
    )
    return Preview(diff(now, then), deputies)
