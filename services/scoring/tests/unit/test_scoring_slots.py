"""The slot-setting ``__init__`` keeps every dataclass it replaces the same to its callers."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import date
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from contracts.vocabulary import DeputyStatus
from scoring.domain import facts as f
from scoring.domain.clauses import Category
from scoring.domain.entries import Entry
from scoring.domain.intake import Written
from scoring.domain.slots import set_by_slot

EVENT = UUID("3f0c1a52-8d2e-4b7a-9c61-0d4e5f6a7b8c")
DECORATED = [
    Entry,
    Written,
    *(
        c
        for c in vars(f).values()
        if isinstance(c, type) and dataclasses.is_dataclass(c) and c.__module__ == f.__name__
    ),
]


@pytest.mark.parametrize("cls", DECORATED, ids=lambda c: c.__name__)
def test_the_signature_is_the_fields_with_their_defaults(cls: type) -> None:
    init = vars(cls)["__init__"]
    assert init.__qualname__ == f"{cls.__qualname__}.__init__"  # replaced, every one
    assert init.__doc__.startswith("Set the fields")
    params = list(inspect.signature(cls).parameters.values())
    assert [p.name for p in params] == [x.name for x in dataclasses.fields(cls)]
    for p, x in zip(params, dataclasses.fields(cls), strict=True):
        expected = inspect.Parameter.empty if x.default is dataclasses.MISSING else x.default
        assert p.default == expected


def _entry(**changes: object) -> Entry:
    values: dict[str, object] = {
        "entry_id": "e-1",
        "deputy_id": "d-1",
        "township": "990101001",
        "year": 2026,
        "period": "2026-Q1",
        "occurred_on": date(2026, 2, 1),
        "rule_id": "activity.inspection.present",
        "rule_set_version": 1,
        "category": Category.activity,
        "points": Decimal(2),
        "subject": "activity:a-1",
        "source_event_id": EVENT,
        "source_event_type": "deputies.activity.logged",
    }
    return Entry(**{**values, **changes})  # type: ignore[arg-type]


def test_an_entry_is_built_compared_and_frozen_as_the_dataclass_made_it() -> None:
    e = _entry()
    assert e.compensates is None  # the defaults
    assert e.capped_from is None
    same = Entry(*(getattr(e, x.name) for x in dataclasses.fields(Entry)))  # positionally
    assert same == e
    assert hash(same) == hash(e)
    assert repr(same) == repr(e)
    assert dataclasses.replace(e, points=Decimal(1)) == _entry(points=Decimal(1))
    assert _entry(capped_from=Decimal(3)).capped_from == Decimal(3)
    assert e != _entry(deputy_id="d-2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.points = Decimal(5)  # type: ignore[misc]
    with pytest.raises(TypeError):
        Entry("only-one")  # type: ignore[call-arg]


def test_a_fact_keeps_its_defaults() -> None:
    s = f.Source(uuid4(), "deputies.deputy.registered", date(2026, 1, 2))
    fact = f.DeputyOnRoster(s, "d-1", "990101001", frozenset(), DeputyStatus.active, 1)
    assert fact.name is None
    assert fact.source is s
    named = f.DeputyOnRoster(s, "d-1", "990101001", frozenset(), DeputyStatus.active, 1, name="x")
    assert named.name == "x"


def test_only_slotted_dataclasses_without_factories_are_taken() -> None:
    @dataclasses.dataclass(frozen=True)
    class Plain:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Factory:
        a: list[int] = dataclasses.field(default_factory=list)

    for cls in (Plain, Factory):
        with pytest.raises(TypeError):
            set_by_slot(cls)
