"""Aggregates to and from their stored JSON documents (a case's timeline is stored apart)."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import TypeAdapter

from cases.domain.model import Case

T = TypeVar("T")


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(kind: type[Any]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    return adapter


def to_doc(record: object, *, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Return a dataclass record as a JSON-ready document."""
    doc: dict[str, Any] = _adapter(type(record)).dump_python(
        record, mode="json", exclude=set(exclude) or None
    )
    return doc


def from_doc(kind: type[T], doc: dict[str, Any]) -> T:
    """Rebuild a dataclass record from its document."""
    record: T = _adapter(kind).validate_python(doc)
    return record


def case_to_doc(case: Case) -> dict[str, Any]:
    """Return the case as a JSON-ready document, without its timeline and number (columns)."""
    return to_doc(case, exclude=frozenset({"timeline", "number"}))


def case_from_doc(doc: dict[str, Any], version: int) -> Case:
    """Rebuild the case from its document; its timeline starts empty (new steps only)."""
    return from_doc(Case, {**doc, "timeline": [], "version": version})
