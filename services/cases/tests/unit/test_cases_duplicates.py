"""Duplicate proposals at triage: jieba tokens, TF-IDF weights, cosine similarity."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from cases.domain.similarity import Candidate, similar, tokens

ROAD = "关于拓宽青石村至镇区道路的建议：青石村至镇区道路狭窄，会车困难，雨天积水严重。"
CORPUS = (
    Candidate("road-short", "青石村道路狭窄，会车困难，建议拓宽"),
    Candidate("road-plan", "建议对青石村至镇区道路进行拓宽改造"),
    Candidate("canteen", "中心小学食堂卫生条件差，建议改善学生用餐环境"),
    Candidate("lamps", "村口路灯损坏两个月，夜间出行不便"),
    Candidate("water", "桃源村自来水水压不足，夏季经常停水"),
)


def test_tokens_drop_punctuation_numbers_and_boilerplate() -> None:
    words = tokens("关于进一步加强青石村道路养护的建议！！2026年")
    assert "道路" in words
    assert "养护" in words
    assert not {"关于", "进一步", "加强", "建议", "的", "！", "2026"} & set(words)


def test_texts_about_the_same_road_rank_above_unrelated_ones() -> None:
    matches = similar(ROAD, CORPUS, threshold=0.0, limit=10)
    ranked = [m.case_id for m in matches]
    assert set(ranked[:2]) == {"road-short", "road-plan"}
    scores = {m.case_id: m.score for m in matches}
    assert scores["road-short"] > 0.4
    assert scores["canteen"] < 0.1
    assert scores["water"] < 0.1


def test_threshold_and_limit() -> None:
    assert [m.case_id for m in similar(ROAD, CORPUS, threshold=0.25)] == [
        m.case_id for m in similar(ROAD, CORPUS, threshold=0.0) if m.score >= 0.25
    ]
    assert len(similar(ROAD, CORPUS, threshold=0.0, limit=2)) == 2


def test_identical_text_scores_one_and_empty_text_matches_nothing() -> None:
    [best, *_] = similar(CORPUS[4].text, CORPUS, threshold=0.0)
    assert best.case_id == "water"
    assert best.score == 1.0
    assert similar("！！，。", CORPUS) == []
    assert similar("", CORPUS) == []
    assert similar(ROAD, []) == []


_WORDS = st.sampled_from(
    ["道路", "拓宽", "路灯", "食堂", "学校", "自来水", "水压", "垃圾", "清运", "公交", "停车"]
)
_TEXTS = st.lists(_WORDS, min_size=1, max_size=8).map("，".join)


@settings(max_examples=60, deadline=None)
@given(query=_TEXTS, others=st.lists(_TEXTS, min_size=1, max_size=6))
def test_scores_are_bounded_and_an_identical_text_ranks_first(
    query: str, others: list[str]
) -> None:
    corpus = [Candidate(f"c{i}", t) for i, t in enumerate(others)] + [Candidate("same", query)]
    matches = similar(query, corpus, threshold=0.0, limit=100)
    assert all(0.0 <= m.score <= 1.0 for m in matches)
    assert matches[0].score == 1.0
    assert "same" in [m.case_id for m in matches if m.score == 1.0]
