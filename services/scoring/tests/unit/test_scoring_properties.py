"""Properties of the ledger over generated histories: replay, independence, caps, corrections, preview."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings, strategies as st
from scoring_harness import (
    COUNTY_ONLY,
    JOINT,
    TOWNSHIP_ONLY,
    YEAR,
    activity,
    assigned,
    cancel,
    feedback,
    key_chase,
    reopened,
    reply,
    rules,
    src,
    suggestion,
)

from contracts.vocabulary import ActivityType as T, ReplyClass, Satisfaction
from scoring.domain.clauses import clauses
from scoring.domain.documents import rule_set_from
from scoring.domain.entries import Entry
from scoring.domain.facts import ActivityHeld, AttendanceMarked, Fact, Presence
from scoring.domain.ledger import Ledger, LedgerState, derive
from scoring.domain.preview import preview
from scoring.domain.rules import RuleSet

D = Decimal
DEPUTIES = ("d0", "d1", "d2", "d3")
KINDS = (T.inspection, T.public_welfare, T.congress_session, T.training, T.report_to_voters)


def tight_rules() -> RuleSet:
    """The seed with small caps on several rules, so generated histories hit them often."""
    data = rules().model_dump(mode="json")
    data["activities"]["inspection"]["present"]["cap_per_year"] = 7
    data["activities"]["public_welfare"]["present"]["cap_per_year"] = 5
    data["activities"]["congress_session"]["present"]["cap_per_year"] = 25
    data["activities"]["congress_session"]["excused"]["cap_per_year"] = 3
    data["activities"]["inspection"]["unexcused_absence"]["cap_per_year"] = 4
    data["suggestion"]["cap_per_year"] = 7
    data["quality"]["key_chase"]["cap_per_year"] = 6
    return rule_set_from(data)


TIGHT = tight_rules()
days = st.integers(0, 364).map(lambda n: date(YEAR, 1, 1) + timedelta(days=n))
presence = st.sampled_from(list(Presence))
levels = st.sampled_from([COUNTY_ONLY, TOWNSHIP_ONLY, JOINT])
hours = st.sampled_from(["1", "3.5", "4", "6", "8"])


def own_mark(record: ActivityHeld, deputy_id: str, presence: Presence, version: int) -> Fact:
    """Return a deputy's mark recorded on its own at a version, with the record's attributes."""
    return AttendanceMarked(
        src("deputies.attendance.recorded"),
        record.activity_id,
        record.township,
        deputy_id,
        presence,
        record.activity_type,
        record.levels,
        record.held_on,
        version,
    )


@st.composite
def deputy_history(draw: st.DrawFn, deputy_id: str) -> list[Fact]:
    """Facts that concern one deputy only: activities, own marks, corrections, cancellations, cases."""
    facts: list[Fact] = []
    versions: dict[str, int] = {}
    kinds: dict[str, T] = {}
    records: dict[str, ActivityHeld] = {}
    cases: list[str] = []
    for step in range(draw(st.integers(0, 14))):
        move = draw(st.sampled_from(["log", "log", "correct", "cancel", "mark", "suggest", "case"]))
        if move == "mark" and records:
            activity_id = draw(st.sampled_from(sorted(records)))
            versions[activity_id] += 1
            mark = own_mark(records[activity_id], deputy_id, draw(presence), versions[activity_id])
            facts.append(mark)
            continue
        if move == "log" or (move in ("correct", "cancel", "mark") and not versions):
            activity_id = f"{deputy_id}-a{step}"
            kinds[activity_id] = draw(st.sampled_from(KINDS))
            versions[activity_id] = 1
            records[activity_id] = activity(
                activity_id,
                kinds[activity_id],
                {deputy_id: draw(presence)},
                on=draw(days),
                hours=draw(hours),
                levels=draw(levels),
            )
            facts.append(records[activity_id])
        elif move in ("correct", "cancel", "mark"):
            activity_id = draw(st.sampled_from(sorted(versions)))
            versions[activity_id] += 1
            if move in ("cancel", "mark"):  # no own mark on a cancelled activity
                records.pop(activity_id, None)
                facts.append(cancel(activity_id, versions[activity_id]))
                continue
            records[activity_id] = activity(
                activity_id,
                kinds[activity_id],
                {deputy_id: draw(presence)},
                on=draw(days),
                hours=draw(hours),
                version=versions[activity_id],
            )
            facts.append(records[activity_id])
        elif move == "suggest" or not cases:
            cases.append(f"{deputy_id}-c{step}")
            facts.append(suggestion(cases[-1], deputy_id, on=draw(days)))
        else:
            case_id = draw(st.sampled_from(cases))
            options: list[Fact] = [
                reply(case_id, ReplyClass.A),
                reply(case_id, ReplyClass.C),
                key_chase(case_id),
                feedback(case_id, deputy_id, Satisfaction.satisfied),
                reopened(case_id),  # takes back the class-A and 满意 entries
                assigned(case_id, key_chase=True),
            ]
            facts.append(draw(st.sampled_from(options)))
    return facts


histories = st.tuples(*(deputy_history(d) for d in DEPUTIES))


@st.composite
def interleaved(draw: st.DrawFn, lists: tuple[list[Fact], ...]) -> list[Fact]:
    """Merge per-deputy histories in a drawn order that keeps each deputy's own order."""
    queues = [list(x) for x in lists if x]
    merged: list[Fact] = []
    while queues:
        i = draw(st.integers(0, len(queues) - 1))
        merged.append(queues[i].pop(0))
        if not queues[i]:
            queues.pop(i)
    return merged


def flat(lists: tuple[list[Fact], ...]) -> list[Fact]:
    return [fact for history in lists for fact in history]


def net(entries: list[Entry]) -> dict[tuple[str, str], Decimal]:
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for e in entries:
        totals[e.deputy_id, e.rule_id] += e.points
    return {k: v for k, v in totals.items() if v != 0}


@settings(max_examples=60, deadline=None)
@given(histories)
def test_replaying_the_same_facts_gives_the_same_ledger(lists: tuple[list[Fact], ...]) -> None:
    facts = flat(lists)
    assert derive(facts, TIGHT) == derive(facts, TIGHT)


@settings(max_examples=60, deadline=None)
@given(st.data(), histories)
def test_the_order_of_independent_deputies_facts_does_not_matter(
    data: st.DataObject, lists: tuple[list[Fact], ...]
) -> None:
    one = derive(data.draw(interleaved(lists)), TIGHT)
    other = derive(data.draw(interleaved(lists)), TIGHT)
    assert sorted(one, key=lambda e: e.entry_id) == sorted(other, key=lambda e: e.entry_id)


@settings(max_examples=60, deadline=None)
@given(st.data(), histories)
def test_redelivered_events_anywhere_later_change_nothing(
    data: st.DataObject, lists: tuple[list[Fact], ...]
) -> None:
    facts = flat(lists)
    redelivered = list(facts)
    for _ in range(data.draw(st.integers(0, 10))):
        if not facts:
            break
        i = data.draw(st.integers(0, len(redelivered) - 1))
        j = data.draw(st.integers(i + 1, len(redelivered)))
        redelivered.insert(j, redelivered[i])
    assert derive(redelivered, TIGHT) == derive(facts, TIGHT)


@settings(max_examples=60, deadline=None)
@given(histories)
def test_caps_are_never_exceeded_at_any_point(lists: tuple[list[Fact], ...]) -> None:
    caps = {c.id: c.cap_per_year for c in clauses(TIGHT).values() if c.cap_per_year}
    running: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)
    for entry in derive(flat(lists), TIGHT):
        key = (entry.deputy_id, entry.year, entry.rule_id)
        running[key] += entry.points
        if entry.rule_id in caps:
            assert abs(running[key]) <= caps[entry.rule_id], entry


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(KINDS),
    st.lists(
        st.dictionaries(st.sampled_from(DEPUTIES), presence, max_size=4), min_size=1, max_size=5
    ),
    st.lists(days, min_size=5, max_size=5),
    st.booleans(),
)
def test_a_correction_nets_to_the_corrected_record_and_a_cancellation_to_nothing(
    kind: T, versions: list[dict[str, Presence]], on: list[date], cancelled: bool
) -> None:
    history: list[Fact] = [
        activity("a", kind, attendance, on=on[i], version=i + 1)
        for i, attendance in enumerate(versions)
    ]
    if cancelled:
        history.append(cancel("a", len(versions) + 1))
    last = history[len(versions) - 1]
    assert isinstance(last, ActivityHeld)
    alone = activity("a", kind, dict(last.attendance), on=last.held_on)
    expected = {} if cancelled else net(derive([alone], TIGHT))
    assert net(derive(history, TIGHT)) == expected


@settings(max_examples=40, deadline=None)
@given(histories)
def test_previewing_the_active_rules_is_an_empty_diff(lists: tuple[list[Fact], ...]) -> None:
    assert preview(flat(lists), TIGHT, TIGHT).empty


@settings(max_examples=60, deadline=None)
@given(st.data(), histories)
def test_a_ledger_restored_from_its_entries_carries_on_as_if_never_stopped(
    data: st.DataObject, lists: tuple[list[Fact], ...]
) -> None:
    facts = flat(lists)
    cut = data.draw(st.integers(0, len(facts)))
    first = Ledger(TIGHT)
    written = [e for fact in facts[:cut] for e in first.apply(fact)]
    state = LedgerState.restore(
        written,
        seen=first.state.seen,
        versions=first.state.versions,
        signers=first.state.signers,
        hours=first.state.hours,
    )
    resumed = Ledger(TIGHT, state)
    written += [e for fact in facts[cut:] for e in resumed.apply(fact)]
    assert written == derive(facts, TIGHT)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.dictionaries(st.sampled_from(DEPUTIES), presence, max_size=4), min_size=1, max_size=4
    ),
    st.booleans(),
    st.randoms(use_true_random=False),
)
def test_versions_of_one_activity_in_any_order_net_to_the_latest(
    versions: list[dict[str, Presence]], cancelled: bool, rnd: random.Random
) -> None:
    history: list[Fact] = [
        activity("a", T.inspection, attendance, version=i + 1)
        for i, attendance in enumerate(versions)
    ]
    if cancelled:
        history.append(cancel("a", len(versions) + 1))
    shuffled = list(history)
    rnd.shuffle(shuffled)
    assert net(derive(shuffled, TIGHT)) == net(derive(history, TIGHT))


@st.composite
def activity_and_marks(draw: st.DrawFn) -> tuple[list[Fact], list[Fact]]:
    """One activity's versions, each a whole record or one deputy's own mark; then, maybe, a cancellation.

    Returns the facts in version order and the same facts in a drawn order (the first record
    first, as the producer logs an activity before any mark on it) with redeliveries.
    """
    kind = draw(st.sampled_from(KINDS))
    duration = draw(hours)
    marks = st.dictionaries(st.sampled_from(DEPUTIES), presence, max_size=4)
    record = activity("a", kind, draw(marks), on=draw(days), hours=duration, levels=draw(levels))
    history: list[Fact] = [record]
    for version in range(2, draw(st.integers(1, 8)) + 1):
        if draw(st.booleans()):
            mark = own_mark(record, draw(st.sampled_from(DEPUTIES)), draw(presence), version)
            history.append(mark)
            continue
        on, tier = draw(days), draw(levels)
        record = activity(
            "a", kind, draw(marks), on=on, hours=duration, levels=tier, version=version
        )
        history.append(record)
    if draw(st.booleans()):
        history.append(cancel("a", len(history) + 1))
    rest = list(history[1:])
    draw(st.randoms(use_true_random=False)).shuffle(rest)
    delivered = [history[0], *rest]
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(delivered) - 1))
        delivered.insert(draw(st.integers(i + 1, len(delivered))), delivered[i])
    return history, delivered


def latest_marks(history: list[Fact]) -> list[Fact]:
    """Return, per deputy, the mark of the latest version alone (as its own activity), by hand."""
    latest: dict[str, tuple[ActivityHeld, Presence] | None] = {}
    for fact in history:  # in version order: a later version replaces an earlier one
        if isinstance(fact, AttendanceMarked):
            base = next(
                x for x in reversed(history[: history.index(fact)]) if isinstance(x, ActivityHeld)
            )
            latest[fact.deputy_id] = None if fact.presence is None else (base, fact.presence)
        elif isinstance(fact, ActivityHeld):
            marked = dict(fact.attendance)
            latest.update({d: (fact, marked[d]) if d in marked else None for d in DEPUTIES})
        else:
            latest = dict.fromkeys(DEPUTIES)
    return [
        activity(
            f"alone-{deputy_id}",
            found[0].activity_type,
            {deputy_id: found[1]},
            on=found[0].held_on,
            hours=str(found[0].hours),
            levels=found[0].levels,
        )
        for deputy_id, found in sorted(latest.items())
        if found is not None
    ]


@settings(max_examples=100, deadline=None)
@given(activity_and_marks())
def test_records_and_own_marks_in_any_order_net_to_each_deputys_latest_mark(
    drawn: tuple[list[Fact], list[Fact]],
) -> None:
    history, delivered = drawn
    assert net(derive(delivered, TIGHT)) == net(derive(latest_marks(history), TIGHT))
