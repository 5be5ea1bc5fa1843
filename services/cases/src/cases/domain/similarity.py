"""Duplicate detection at triage: TF-IDF cosine similarity over jieba tokens of Chinese text.

Search-mode cutting (``cut_for_search``) also yields the shorter words inside long compounds
(道路拓宽改造 -> 道路, 拓宽, 改造), so two texts that phrase one problem differently still share
tokens; the dictionary loads lazily, on first use, once per process.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import jieba

_STOP_TEXT = (
    "的 了 和 与 及 在 是 对 为 有 我 我们 你 他 她 它 这 那 其 并 将 把 被 让 请 望 要 也 都 "
    "就 又 或 等 之 于 以 由 从 向 至 个 些 啊 吧 呢 "
    # what is left of a date once its digits are dropped (2026年3月5日)
    "年 月 日 号 "
    # words every suggestion uses, which say nothing about its subject
    "建议 希望 问题 关于 进一步 加强 尽快 相关 有关 部门 情况 工作 解决 目前 存在 进行 实施 "
    "要求 反映 提出 意见 群众 百姓 老百姓"
)
STOP_WORDS = frozenset(_STOP_TEXT.split())
"""Function words and the boilerplate of suggestion texts."""

_WORDLIKE = re.compile(r"[\u4e00-\u9fffA-Za-z]")


@dataclass(frozen=True)
class Candidate:
    """An open case that may duplicate the one being triaged."""

    case_id: str
    text: str


@dataclass(frozen=True)
class Match:
    """A candidate and how similar it is (cosine similarity in [0, 1])."""

    case_id: str
    score: float


@functools.cache
def _tokenizer() -> jieba.Tokenizer:
    logging.getLogger("jieba").setLevel(logging.WARNING)
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def load_dictionary() -> None:
    """Load the tokenizer's dictionary now (a second of CPU) rather than at the first filing."""
    _tokenizer()


def tokens(text: str) -> list[str]:
    """Return the meaningful tokens of a text: no punctuation, numbers or stop words."""
    words = _tokenizer().cut_for_search(text)
    return [
        w
        for w in (w.strip().lower() for w in words)
        if w and _WORDLIKE.search(w) and w not in STOP_WORDS
    ]


def _weights(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    return {t: (1.0 + math.log(n)) * idf[t] for t, n in counts.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(w * b[t] for t, w in a.items() if t in b)
    norm = math.sqrt(sum(w * w for w in a.values())) * math.sqrt(sum(w * w for w in b.values()))
    return 0.0 if norm == 0 else min(1.0, dot / norm)


def token_vector(text: str) -> dict[str, int]:
    """Return how often each meaningful token occurs in a text (kept with the case at intake)."""
    return dict(Counter(tokens(text)))


def similar(
    text: str, corpus: Sequence[Candidate], *, threshold: float = 0.25, limit: int = 10
) -> list[Match]:
    """Return the candidates most like ``text``, best first, scoring at least ``threshold``."""
    vectors = [(c.case_id, token_vector(c.text)) for c in corpus]
    return similar_vectors(token_vector(text), vectors, threshold=threshold, limit=limit)


def similar_vectors(
    text: Mapping[str, int],
    corpus: Sequence[tuple[str, Mapping[str, int]]],
    *,
    threshold: float = 0.25,
    limit: int = 10,
) -> list[Match]:
    """Rank candidates by their token vectors (no tokenising: the vectors were kept at intake)."""
    query = Counter(text)
    if not query or not corpus:
        return []
    documents = [Counter(vector) for _, vector in corpus]
    n = len(documents) + 1
    frequency: Counter[str] = Counter(query.keys())
    for doc in documents:
        frequency.update(doc.keys())
    idf = {t: math.log((1 + n) / (1 + df)) + 1.0 for t, df in frequency.items()}
    wanted = _weights(query, idf)
    scored = [
        Match(case_id, round(_cosine(wanted, _weights(doc, idf)), 3))
        for (case_id, _), doc in zip(corpus, documents, strict=True)
        if doc  # a candidate with no meaningful words matches nothing, even at threshold 0
    ]
    hits = [m for m in scored if m.score >= threshold]
    return sorted(hits, key=lambda m: (-m.score, m.case_id))[:limit]
