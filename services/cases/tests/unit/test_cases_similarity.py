"""Duplicate detection, against its contract: tokens, ranking, bounds and provable invariants.

Complements ``test_cases_duplicates.py``; the jieba tokenizer is loaded once per test process.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from cases.domain.similarity import STOP_WORDS, Candidate, Match, similar, tokens

WIDEN = "建议对东山村至西河镇道路进行拓宽改造"
NARROW = "东山村道路狭窄，建议拓宽"
CANTEEN = "中心小学食堂卫生条件差，建议改善学生用餐环境"
LAMPS = "村口路灯损坏两个月，夜间出行不便"
BUS = "希望开通镇区至县城的公交线路，方便群众出行"


def candidates(**texts: str) -> list[Candidate]:
    """Return candidates keyed by their case id."""
    return [Candidate(case_id, text) for case_id, text in texts.items()]


def scores(text: str, corpus: list[Candidate]) -> dict[str, float]:
    """Return every candidate's score against ``text``."""
    return {m.case_id: m.score for m in similar(text, corpus, threshold=0.0, limit=len(corpus))}


def test_the_tokenizer_is_not_built_at_import_time() -> None:
    probe = (
        "import jieba, cases.domain.similarity as s;"
        "assert not jieba.dt.initialized;"
        "assert s._tokenizer.cache_info().currsize == 0"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)


def test_single_characters_stay_unless_they_are_stop_words() -> None:
    words = tokens("桥、路和水")
    assert {"桥", "路", "水"} <= set(words)
    assert "和" not in words


@pytest.mark.parametrize(
    "dropped",
    ["的", "我们", "建议", "希望", "问题", "关于", "进一步", "加强", "等", "2026", "３", "，", " "],
)
def test_stop_words_punctuation_whitespace_and_numbers_are_dropped(dropped: str) -> None:
    text = f"2026年３月 关于进一步加强我们的桥梁{dropped}养护等问题的建议，希望解决。"
    assert dropped.strip() not in tokens(text)
    assert {"桥梁", "养护"} <= set(tokens(text))


def test_the_stop_list_is_short_and_keeps_subject_words() -> None:
    assert len(STOP_WORDS) < 100
    assert not {"道路", "拓宽", "路", "桥", "水", "学校", "食堂"} & STOP_WORDS


def test_two_phrasings_of_one_road_problem_score_high_and_a_canteen_low() -> None:
    got = scores(WIDEN, candidates(narrow=NARROW, canteen=CANTEEN, lamps=LAMPS, bus=BUS))
    assert got["narrow"] >= 0.3
    assert got["canteen"] == 0.0
    assert got["narrow"] > max(got["lamps"], got["bus"], got["canteen"])


def test_matches_come_best_first_and_ties_by_case_id() -> None:
    corpus = candidates(z_copy=NARROW, a_copy=NARROW, road=WIDEN, canteen=CANTEEN)
    ranked = similar(NARROW, corpus, threshold=0.0)
    assert [m.case_id for m in ranked[:3]] == ["a_copy", "z_copy", "road"]
    assert ranked[0].score == ranked[1].score == 1.0
    assert [m.score for m in ranked] == sorted((m.score for m in ranked), reverse=True)


def test_the_threshold_is_inclusive_and_the_limit_cuts_the_tail() -> None:
    corpus = candidates(narrow=NARROW, canteen=CANTEEN, lamps=LAMPS, same=WIDEN)
    every = similar(WIDEN, corpus, threshold=0.0)
    narrow = next(m for m in every if m.case_id == "narrow")
    assert narrow in similar(WIDEN, corpus, threshold=narrow.score)
    assert narrow not in similar(WIDEN, corpus, threshold=narrow.score + 0.001)
    assert similar(WIDEN, corpus, threshold=0.0, limit=1) == every[:1]
    assert similar(WIDEN, corpus, limit=0) == []
    assert all(m.score >= 0.25 for m in similar(WIDEN, corpus))


@pytest.mark.parametrize("empty", ["", "   ", "！！，。", "2026 123", "的了和"])
def test_text_without_meaningful_words_matches_nothing(empty: str) -> None:
    corpus = candidates(narrow=NARROW, blank=empty)
    assert similar(empty, corpus, threshold=0.0) == []
    assert [m.case_id for m in similar(NARROW, corpus, threshold=0.0)] == ["narrow"]


def test_identical_text_scores_exactly_one_and_scores_have_three_decimals() -> None:
    matches = similar(CANTEEN, candidates(same=CANTEEN, narrow=NARROW, road=WIDEN), threshold=0)
    assert matches[0] == Match("same", 1.0)
    assert all(round(m.score, 3) == m.score for m in matches)


_WORDS = st.sampled_from(
    ["道路", "拓宽", "路灯", "食堂", "学校", "自来水", "水压", "垃圾", "清运", "公交", "桥", "的"]
)
_UNRELATED = st.sampled_from(["养老院", "护理", "床位", "医保", "报销", "卫生院"])
_TEXTS = st.lists(_WORDS, min_size=0, max_size=8).map("，".join)
_CORPORA = st.lists(_TEXTS, min_size=0, max_size=6)


@settings(max_examples=60, deadline=None)
@given(query=_TEXTS, others=_CORPORA, threshold=st.floats(0.0, 1.0), limit=st.integers(0, 8))
def test_results_are_bounded_sorted_and_cut(
    query: str, others: list[str], threshold: float, limit: int
) -> None:
    corpus = [Candidate(f"c{i}", t) for i, t in enumerate(others)]
    matches = similar(query, corpus, threshold=threshold, limit=limit)
    assert len(matches) <= limit
    assert all(0.0 <= m.score <= 1.0 and m.score >= threshold for m in matches)
    assert matches == sorted(matches, key=lambda m: (-m.score, m.case_id))


@settings(max_examples=60, deadline=None)
@given(query=_TEXTS, others=_CORPORA, noise=st.lists(_UNRELATED, min_size=1, max_size=4))
def test_an_identical_text_stays_on_top_when_unrelated_cases_are_added(
    query: str, others: list[str], noise: list[str]
) -> None:
    corpus = [Candidate(f"c{i}", t) for i, t in enumerate(others)] + [Candidate("c", query)]
    for extended in (corpus, [*corpus, Candidate("zz-noise", "、".join(noise))]):
        matches = similar(query, extended, threshold=0.0, limit=100)
        if not tokens(query):
            assert matches == []
            continue
        assert matches[0].score == 1.0
        assert "c" in [m.case_id for m in matches if m.score == 1.0]
        assert "zz-noise" not in [m.case_id for m in matches if m.score > 0]


@settings(max_examples=60, deadline=None)
@given(a=_TEXTS, b=_TEXTS)
def test_one_to_one_similarity_is_symmetric(a: str, b: str) -> None:
    # with corpus + query = {a, b} either way round, the idf weights and the cosine are the same
    ab = similar(a, [Candidate("b", b)], threshold=0.0)
    ba = similar(b, [Candidate("a", a)], threshold=0.0)
    assert [m.score for m in ab] == [m.score for m in ba]


@settings(max_examples=40, deadline=None)
@given(query=_TEXTS, others=_CORPORA.filter(bool), data=st.data())
def test_scores_do_not_depend_on_the_corpus_order(
    query: str, others: list[str], data: st.DataObject
) -> None:
    corpus = [Candidate(f"c{i}", t) for i, t in enumerate(others)]
    shuffled = data.draw(st.permutations(corpus))
    assert similar(query, corpus, threshold=0.0) == similar(query, shuffled, threshold=0.0)
