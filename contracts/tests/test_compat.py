"""The compatibility check finds each kind of break and lets additive changes through."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest
from pydantic import BaseModel, Field

from contracts.compat import breaking_changes, catalog_breaks

STRING: dict[str, Any] = {"type": "string"}
NULLABLE_STRING: dict[str, Any] = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}


def obj(required: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    """An object schema with the given properties."""
    return {"type": "object", "properties": properties, "required": list(required)}


def with_defs(schema: dict[str, Any], **defs: Any) -> dict[str, Any]:
    """A document with `$defs`."""
    return {**schema, "$defs": defs}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


BASE = obj(("case_id",), case_id=STRING, note=NULLABLE_STRING, days={"type": "integer"})


@pytest.mark.parametrize(
    ("new", "expected"),
    [
        (obj(("case_id",), case_id=STRING, days={"type": "integer"}), "property 'note' removed"),
        (
            obj(
                ("case_id", "days"), case_id=STRING, note=NULLABLE_STRING, days={"type": "integer"}
            ),
            "property 'days' newly required",
        ),
        (
            obj(
                ("case_id", "unit"),
                case_id=STRING,
                note=NULLABLE_STRING,
                days={"type": "integer"},
                unit=STRING,
            ),
            "property 'unit' added as required",
        ),
        (
            obj(
                ("case_id",),
                case_id={"type": "integer"},
                note=NULLABLE_STRING,
                days={"type": "integer"},
            ),
            "$.case_id: type narrowed: string no longer accepted",
        ),
        (
            obj(("case_id",), case_id=STRING, note=STRING, days={"type": "integer"}),
            "$.note: type narrowed: null no longer accepted",
        ),
        (
            obj(
                ("case_id",),
                case_id=STRING,
                note=NULLABLE_STRING,
                days={"type": "integer", "minimum": 1},
            ),
            "$.days: constraint tightened: minimum None -> 1",
        ),
        (
            obj(
                ("case_id",),
                case_id={"type": "string", "pattern": "^c-"},
                note=NULLABLE_STRING,
                days={"type": "integer"},
            ),
            "$.case_id: constraint changed: pattern",
        ),
        (
            obj(
                ("case_id",),
                case_id={"type": "string", "enum": ["a"]},
                note=NULLABLE_STRING,
                days={"type": "integer"},
            ),
            "$.case_id: type narrowed: now restricted to ['a']",
        ),
        (
            {**BASE, "additionalProperties": False},
            "$: additionalProperties tightened",
        ),
    ],
)
def test_each_kind_of_break_is_found(new: dict[str, Any], expected: str) -> None:
    breaks = breaking_changes(BASE, new)
    assert any(expected in line for line in breaks), breaks


@pytest.mark.parametrize(
    "new",
    [
        BASE,
        obj(
            ("case_id",),
            case_id=STRING,
            note=NULLABLE_STRING,
            days={"type": "integer"},
            unit=NULLABLE_STRING,
        ),
        obj(("case_id",), case_id=STRING, note=NULLABLE_STRING, days={"type": "number"}),
        obj((), case_id=STRING, note=NULLABLE_STRING, days={"type": "integer"}),
        obj(("case_id",), case_id=STRING, note={}, days={"type": "integer"}),
        {**BASE, "description": "reworded", "title": "Renamed"},
    ],
    ids=["same", "new optional property", "integer widened", "less required", "any", "docs"],
)
def test_additive_changes_pass(new: dict[str, Any]) -> None:
    assert breaking_changes(BASE, new) == []


def test_numbers_do_not_narrow_to_integers() -> None:
    assert breaking_changes({"type": "number"}, {"type": "integer"})


def test_enum_values_may_be_added_but_not_removed() -> None:
    old = {"enum": ["A", "B", "C"], "type": "string"}
    assert breaking_changes(old, {"enum": ["A", "B", "C", "D"], "type": "string"}) == []
    assert breaking_changes(old, {"enum": ["A", "C"], "type": "string"}) == [
        "$: enum value removed: 'B'"
    ]
    assert breaking_changes({"const": 1}, {"const": 2}) == ["$: enum value removed: 1"]


def test_bounds_may_loosen_but_not_tighten() -> None:
    old = {"type": "string", "maxLength": 100, "minLength": 1}
    assert breaking_changes(old, {"type": "string", "maxLength": 200}) == []
    assert breaking_changes(old, {"type": "string", "maxLength": 50, "minLength": 1}) == [
        "$: constraint tightened: maxLength 100 -> 50"
    ]
    assert breaking_changes(
        {"type": "array", "items": STRING}, {"type": "array", "items": STRING, "minItems": 1}
    )


def test_additional_properties_loosening_passes_and_tightening_a_schema_breaks() -> None:
    closed = {**obj(), "additionalProperties": False}
    assert breaking_changes(closed, obj()) == []
    mapped = {**obj(), "additionalProperties": {"type": "integer"}}
    assert breaking_changes(obj(), mapped) == [
        "$: additionalProperties tightened: now constrained by a schema"
    ]
    assert breaking_changes(mapped, {**obj(), "additionalProperties": {"type": "string"}})


def test_breaks_are_found_through_refs_and_defs() -> None:
    old = with_defs(
        obj(("marks",), marks={"type": "array", "items": ref("Mark")}),
        Mark=obj(("attendance",), attendance=ref("Attendance"), hours={"type": "number"}),
        Attendance={"enum": ["present", "excused", "absent"], "type": "string"},
    )
    new = with_defs(
        obj(("marks",), marks={"type": "array", "items": ref("Mark")}),
        Mark=obj(("attendance",), attendance=ref("Attendance")),
        Attendance={"enum": ["present", "absent"], "type": "string"},
    )
    assert breaking_changes(old, new) == [
        "$.marks[].attendance: enum value removed: 'excused'",
        "$.marks[]: property 'hours' removed",
    ]
    inlined = obj(
        ("marks",),
        marks={
            "type": "array",
            "items": old["$defs"]["Mark"]
            | {
                "properties": {
                    "attendance": old["$defs"]["Attendance"],
                    "hours": {"type": "number"},
                }
            },
        },
    )
    assert breaking_changes(old, inlined) == []


def test_recursive_schemas_terminate() -> None:
    tree = with_defs(
        ref("Node"),
        Node=obj(("name",), name=STRING, children={"type": "array", "items": ref("Node")}),
    )
    assert breaking_changes(tree, tree) == []
    pruned = with_defs(
        ref("Node"),
        Node=obj(
            ("name",), name={"type": "integer"}, children={"type": "array", "items": ref("Node")}
        ),
    )
    assert breaking_changes(tree, pruned) == [
        "$.name: type narrowed: string no longer accepted (now integer)"
    ]


def test_a_removed_schema_breaks_and_a_new_one_does_not() -> None:
    old = {"a.v1.json": BASE, "b.v1.json": BASE}
    new = {"a.v1.json": BASE, "c.v1.json": BASE}
    assert catalog_breaks(old, new) == [
        "b.v1.json: schema removed (event type or version withdrawn)"
    ]
    assert catalog_breaks({"a.v1.json": BASE}, {"a.v1.json": obj()}) == [
        "a.v1.json: $: property 'case_id' removed",
        "a.v1.json: $: property 'days' removed",
        "a.v1.json: $: property 'note' removed",
    ]


class Kind(StrEnum):
    """Before."""

    town = "town"
    subdistrict = "subdistrict"


class KindWithout(StrEnum):
    """After: a member removed."""

    town = "town"


class KindWith(StrEnum):
    """After: a member added."""

    town = "town"
    subdistrict = "subdistrict"
    village = "village"


class Before(BaseModel):
    """A payload as published."""

    code: str = Field(pattern=r"^[0-9]{9}$")
    kind: Kind
    levels: list[Kind] = []
    note: str | None = None


class AfterRemovedMember(BaseModel):
    """The same, with an enum member gone."""

    code: str = Field(pattern=r"^[0-9]{9}$")
    kind: KindWithout
    levels: list[Kind] = []
    note: str | None = None


class AfterAddedField(BaseModel):
    """The same, with an enum member and an optional field added."""

    code: str = Field(pattern=r"^[0-9]{9}$")
    kind: KindWith
    levels: list[KindWith] = []
    note: str | None = None
    extra: int | None = None


class AfterRequiredNote(BaseModel):
    """The same, with the note required and the code longer."""

    code: str = Field(pattern=r"^[0-9]{12}$")
    kind: Kind
    levels: list[Kind] = []
    note: str


def test_pydantic_model_changes_are_judged_like_their_schemas() -> None:
    before = Before.model_json_schema()
    assert breaking_changes(before, AfterAddedField.model_json_schema()) == []
    assert breaking_changes(before, AfterRemovedMember.model_json_schema()) == [
        "$.kind: enum value removed: 'subdistrict'"
    ]
    assert breaking_changes(before, AfterRequiredNote.model_json_schema()) == [
        "$.code: constraint changed: pattern '^[0-9]{9}$' -> '^[0-9]{12}$'",
        "$.note: type narrowed: null no longer accepted (now string)",
        "$: property 'note' newly required",
    ]
