"""The end-to-end stage's slow seconds: which part of a late case took the time, what was seen then."""

from __future__ import annotations

from pathlib import Path

from bench.stalls import Case, gc_pauses, read_traces, slow_windows

T = 1_800_000_000.0


def test_slow_cases_are_grouped_by_second_with_the_worst_split_and_the_events_around() -> None:
    cases = {
        "fast": Case(T, T + 0.01, T + 0.05, T + 0.08),
        "late": Case(T + 0.2, T + 0.23, T + 1.9, T + 2.0),
        "later": Case(T + 0.5, T + 0.52, T + 2.4, T + 2.5),
        "unseen": Case(T + 0.6, None, None, None),
        "other second": Case(T + 5.1, T + 5.4, T + 5.45, T + 5.5),
    }
    events = [
        (T - 3, "scoring: gc 2 40.0 cpu 30.0 frozen 0"),
        (T + 0.3, "scoring: gc 2 1500.0 cpu 120.0 frozen 0"),
        (T + 9, "pg checkpoint done (10 buffers written)"),
    ]
    first, second = slow_windows(cases, events)
    assert first["cases"] == 2
    assert first["worst_ms"] == 2000
    assert first["worst_split_ms"] == {
        "accepted_to_topic": 20,
        "topic_to_handler": 1880,
        "handler_to_visible": 100,
    }
    assert [e.split(" ", 1)[1] for e in first["events"]] == [
        "scoring: gc 2 1500.0 cpu 120.0 frozen 0"
    ]
    assert second["cases"] == 1
    assert second["worst_ms"] == 400
    assert second["events"] == []
    assert slow_windows(cases, events, over_ms=5000) == []


def test_traces_are_read_per_process_and_full_collections_counted_within_the_load(
    tmp_path: Path,
) -> None:
    (tmp_path / "101.log").write_text(
        f"{T - 10:.3f} gc 2 300.0 cpu 140.0 frozen 0\n"
        f"{T + 1:.3f} gc 2 20.5 cpu 12.0 frozen 190000\n"
        f"{T + 2:.3f} stall 80\n"
        f"{T + 3:.3f} gc 2 30.0 cpu 14.0 frozen 190000\n",
        encoding="utf-8",
    )
    (tmp_path / "202.log").write_text(f"{T + 1.5:.3f} gc 1 3.0 cpu 2.0 frozen 0\n")
    events = read_traces(tmp_path, {101: "scoring"})
    assert [what for _, what in events] == [
        "scoring: gc 2 300.0 cpu 140.0 frozen 0",
        "scoring: gc 2 20.5 cpu 12.0 frozen 190000",
        "pid 202: gc 1 3.0 cpu 2.0 frozen 0",
        "scoring: stall 80",
        "scoring: gc 2 30.0 cpu 14.0 frozen 190000",
    ]
    assert gc_pauses(events, T, T + 10) == {
        "scoring": {"count": 2, "max": 30.0, "total": 50.5, "max_cpu": 14.0}
    }
