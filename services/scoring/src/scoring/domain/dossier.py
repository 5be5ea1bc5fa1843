"""The annual 履职档案 of a deputy: the record they take to 述职 (代表法), built from the ledger.

Activities, reception days and training are the live ledger lines (an award that no later entry
reverses); suggestions come from the facts with what became of them (reply, 重点督办, closure,
the deputy's own feedback); points by item and the grade come from the score card.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from scoring.domain import facts as f
from scoring.domain.entries import Entry
from scoring.domain.scorecard import ScoreCard


@dataclass(frozen=True)
class Attended:
    """One activity the deputy was on the record for, and the points it gave."""

    on: date
    activity_id: str
    activity_type: str
    state: str
    points: Decimal


@dataclass
class Suggestion:
    """A suggestion the deputy led or co-signed, and its outcome so far."""

    case_id: str
    role: str
    filed_on: date
    reply_class: str | None = None
    replied_on_time: bool | None = None
    key_chase: bool = False
    closed: bool = False
    solved: bool | None = None
    feedback: str | None = None


@dataclass(frozen=True)
class Item:
    """Points by ledger item (rule id) over the year."""

    rule_id: str
    lines: int
    points: Decimal


@dataclass(frozen=True)
class Dossier:
    """A deputy's year on the record."""

    deputy_id: str
    township: str
    year: int
    rule_set_version: int
    activities: tuple[Attended, ...]
    reception_days: tuple[Attended, ...]
    training: tuple[Attended, ...]
    suggestions: tuple[Suggestion, ...]
    items: tuple[Item, ...]
    base: Decimal
    total: Decimal
    grade: str
    grade_reasons: tuple[str, ...]
    minimums: tuple[tuple[str, bool], ...]
    proposals: tuple[dict[str, Any], ...] = field(default=())


def live(entries: Iterable[Entry]) -> list[Entry]:
    """Return the awards no later entry reverses (the record as it stands)."""
    rows = list(entries)
    reversed_ids = {e.compensates for e in rows if e.compensates is not None}
    return [e for e in rows if e.compensates is None and e.entry_id not in reversed_ids]


def _attended(entries: Iterable[Entry]) -> dict[str, list[Attended]]:
    """Group the live activity lines by activity type (rule ids ``activity.<type>.<state>``)."""
    out: dict[str, list[Attended]] = defaultdict(list)
    for e in live(entries):
        parts = e.rule_id.split(".")
        if len(parts) != 3 or parts[0] != "activity" or not e.subject.startswith("activity:"):
            continue
        out[parts[1]].append(
            Attended(e.occurred_on, e.subject.split(":", 1)[1], parts[1], parts[2], e.points)
        )
    for lines in out.values():
        lines.sort(key=lambda a: (a.on, a.activity_id))
    return out


def suggestions_of(deputy_id: str, facts: Iterable[f.Fact], year: int) -> list[Suggestion]:
    """Return the deputy's suggestions of the year (lead or co-signer) with their outcomes."""
    mine: dict[str, Suggestion] = {}
    for fact in facts:
        if isinstance(fact, f.SuggestionFiled) and fact.filed_on.year == year:
            if deputy_id == fact.lead or deputy_id in fact.co_signers:
                role = "lead" if deputy_id == fact.lead else "co_signer"
                mine.setdefault(fact.case_id, Suggestion(fact.case_id, role, fact.filed_on))
            continue
        found = mine.get(getattr(fact, "case_id", ""))
        if found is None:
            continue
        if isinstance(fact, f.CaseReplied):
            found.reply_class, found.replied_on_time = fact.reply_class.value, fact.on_time
        elif isinstance(fact, f.KeyChaseDesignated):
            found.key_chase = True
        elif isinstance(fact, f.CaseClosed):
            found.closed, found.solved = True, fact.solved
        elif isinstance(fact, f.FeedbackGiven) and fact.deputy_id == deputy_id:
            found.feedback = fact.result.value
    return sorted(mine.values(), key=lambda s: (s.filed_on, s.case_id))


def dossier(
    card: ScoreCard,
    township: str,
    facts: Iterable[f.Fact],
    proposals: Iterable[Mapping[str, Any]] = (),
) -> Dossier:
    """Return the deputy's annual record from their card (its lines) and the county's facts."""
    by_type = _attended(card.lines)
    items: dict[str, list[Entry]] = defaultdict(list)
    for e in card.lines:
        items[e.rule_id].append(e)
    return Dossier(
        deputy_id=card.deputy_id,
        township=township,
        year=card.year,
        rule_set_version=card.rule_set_version,
        activities=tuple(
            a
            for kind, lines in sorted(by_type.items())
            if kind not in ("reception_day", "training")
            for a in lines
        ),
        reception_days=tuple(by_type.get("reception_day", ())),
        training=tuple(by_type.get("training", ())),
        suggestions=tuple(suggestions_of(card.deputy_id, facts, card.year)),
        items=tuple(
            Item(rule_id, len(lines), sum((e.points for e in lines), Decimal(0)))
            for rule_id, lines in sorted(items.items())
        ),
        base=card.base,
        total=card.total,
        grade=card.grade.value,
        grade_reasons=card.grade_reasons,
        minimums=tuple((m.label, m.met) for m in card.minimums),
        proposals=tuple(dict(p) for p in proposals),
    )
