"""A case aggregate to and from its stored JSON document (the timeline is stored apart)."""

from __future__ import annotations

import functools
from typing import Any

from pydantic import TypeAdapter

from cases.domain.model import Case


@functools.cache
def _adapter() -> TypeAdapter[Case]:
    return TypeAdapter(Case)


def case_to_doc(case: Case) -> dict[str, Any]:
    """Return the aggregate as a JSON-ready document, without its timeline."""
    doc: dict[str, Any] = _adapter().dump_python(case, mode="json", exclude={"timeline"})
    return doc


def case_from_doc(doc: dict[str, Any], version: int) -> Case:
    """Rebuild the aggregate from its document; its timeline starts empty (new steps only)."""
    return _adapter().validate_python({**doc, "timeline": [], "version": version})
