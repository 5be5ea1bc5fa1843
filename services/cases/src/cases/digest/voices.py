"""The deputies' own voices: a few representative excerpts per category for 人大代表之声.

Representative means closest to the category's centre: each case's term counts (kept at intake)
are normalised, summed into a centroid, and the cases nearest to it by cosine are quoted —
suggestions (the deputy's own words) before opinions (words a deputy recorded).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from contracts.vocabulary import CaseKind
from kit.masking import mask_phone

_PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
_SENTENCE_END = "。！？；!?;"


@dataclass(frozen=True)
class Said:
    """What one case said, as far as a digest may quote it (never a confidential case)."""

    case_id: str
    category: str
    kind: CaseKind
    township: str
    number: str | None
    content: str
    tokens: Mapping[str, int]


@dataclass(frozen=True)
class Voice:
    """An excerpt quoted under a category, with the case number it comes from."""

    category: str
    case_id: str
    number: str | None
    township: str
    kind: CaseKind
    excerpt: str


def mask_phones(text: str) -> str:
    """Return a text with every mainland mobile number in it masked (138****5678)."""
    return _PHONE.sub(lambda m: mask_phone(m.group()), text)


def excerpt(text: str, limit: int = 80) -> str:
    """Return the first sentences of a text up to ``limit`` characters, phone numbers masked."""
    flat = mask_phones(" ".join(text.split()))
    if len(flat) <= limit:
        return flat
    cut = max((flat.rfind(end, 0, limit) for end in _SENTENCE_END), default=-1)
    return flat[: cut + 1] if cut >= limit // 3 else flat[: limit - 1] + "…"


def _unit(vector: Mapping[str, int]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {} if norm == 0 else {t: v / norm for t, v in vector.items()}


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    dot = sum(v * b.get(t, 0.0) for t, v in a.items())
    norm = math.sqrt(sum(v * v for v in b.values()))
    return 0.0 if norm == 0 else dot / norm


def voices(said: Iterable[Said], *, per_category: int = 2, limit: int = 80) -> tuple[Voice, ...]:
    """Return up to ``per_category`` representative excerpts of each category, by category."""
    groups: dict[str, list[Said]] = defaultdict(list)
    for item in said:
        if item.content.strip():
            groups[item.category].append(item)
    chosen: list[Voice] = []
    for category in sorted(groups):
        items = groups[category]
        units = {i.case_id: _unit(i.tokens) for i in items}
        centre: dict[str, float] = defaultdict(float)
        for vector in units.values():
            for term, value in vector.items():
                centre[term] += value
        ranked = sorted(
            items,
            key=lambda i: (
                i.kind is not CaseKind.suggestion,
                -round(_cosine(units[i.case_id], centre), 9),
                i.case_id,
            ),
        )
        chosen += [
            Voice(category, i.case_id, i.number, i.township, i.kind, excerpt(i.content, limit))
            for i in ranked[:per_category]
        ]
    return tuple(chosen)
