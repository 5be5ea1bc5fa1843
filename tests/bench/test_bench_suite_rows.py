"""The suite's row builders read the scoring and end-to-end stages' JSON into the table."""

from __future__ import annotations

from typing import Any

from bench.suite import Stage, stages, table

SCORING: dict[str, Any] = {
    "events": 5234,
    "distinct": 5203,
    "raw_aiokafka_per_s": 33668.5,
    "scoring_per_s": 283.5,
    "entries_per_s": 437.9,
    "ratio_to_raw": 0.0084,
    "steady_per_s": 412.0,
    "steady_ratio_to_raw": 0.012,
    "rss_mb": 196.0,
    "timed_rate_per_s": 100.0,
    "timed_events": 200,
    "timed_sent": 200,
    "visible_p50_ms": 861.8,
    "visible_p99_ms": 1383.0,
    "card_median_ms": 327.7,
}


def end_to_end(**changes: Any) -> dict[str, Any]:
    """Return an end-to-end stage's JSON, as bench.end_to_end emits it, with some changes."""
    return {
        "offered_rate_per_s": 100.0,
        "load_seconds": 10.0,
        "offered": 1000,
        "achieved_rate_per_s": 100.06,
        "accepted_rate_per_s": 100.0,
        "accepted": 1000,
        "refused": 0,
        "refusals": [],
        "http_ms": {"p50": 20.0, "p95": 40.0, "p99": 60.0, "max": 80.0},
        "entry_ms": {"p50": 60.0, "p95": 150.0, "p99": 240.0, "max": 300.0},
        "entry_lost": 0,
        "mail_ms": {"p50": 200.0, "p95": 600.0, "p99": 900.0, "max": 1200.0},
        "mail_lost": 0,
        "published_ms": {"p50": 30.0, "p95": 90.0, "p99": 120.0, "max": 130.0},
        "published_to_entry_ms": {"p50": 30.0, "p95": 60.0, "p99": 120.0, "max": 170.0},
        "published_to_mail_ms": {"p50": 170.0, "p95": 510.0, "p99": 780.0, "max": 1070.0},
        "rss_mb": {"deputies": 158.5, "cases": 251.8, "scoring": 139.5, "notify": 351.2},
        "idle_rss_mb": {"deputies": 158.4, "cases": 239.5, "scoring": 136.3, "notify": 139.5},
        "exited": {},
        "load_average": {"before": 6.7, "after": 7.1},
        "cpu_share": {"cases": 0.61, "bench client": 0.2},
        "cpu_ms_per_accepted": {"cases": 12.3, "bench client": 4.0},
        "notify_sender_process": True,
        "relays_apart": ["cases"],
        **changes,
    }


def chosen(*names: str) -> list[Stage]:
    """Return the full run's stages of these names."""
    return [s for s in stages(quick=False) if s.name in names]


def rows(markdown: str) -> dict[str, list[str]]:
    """Return the table's rows by their first cell."""
    found = {}
    for line in markdown.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        found[cells[0]] = cells[1:]
    return found


def test_the_scoring_stage_gives_its_ratio_to_raw_against_a_quarter() -> None:
    got = rows(table({"scoring backlog": SCORING}, chosen("scoring backlog")))
    backlog = got["scoring backlog / raw aiokafka (5,234 events)"]
    assert backlog == [
        "284 / 33,668 events/s = 0.008; 438 entries/s",
        "≥ 0.25 of raw",
        "**no**",
    ]
    assert got["scoring: resident memory (backlog)"] == ["196 MB", "< 300 MB", "yes"]
    steady = got["scoring once consuming (start-up excluded) / raw aiokafka"]
    assert steady[0] == "412 distinct events/s = 0.012"
    fast = {**SCORING, "ratio_to_raw": 0.3}
    assert (
        rows(table({"scoring backlog": fast}, chosen("scoring backlog")))[
            "scoring backlog / raw aiokafka (5,234 events)"
        ][2]
        == "yes"
    )


def test_the_end_to_end_stage_gives_latencies_losses_and_memory_per_service() -> None:
    got = rows(table({"end to end": end_to_end()}, chosen("end to end")))
    assert got["end to end: HTTP accepted → ledger entry visible"] == [
        "p50 60 ms, p95 150 ms, p99 240 ms; 0 not seen by the end",
        "p99 < 250 ms",
        "yes",
    ]
    assert got["end to end: HTTP accepted → e-mail received"][1:] == ["p99 < 1 s", "yes"]
    assert (
        got[
            "end to end: 100 suggestions/s offered for 10 s (open loop; sender apart, relays apart: cases)"
        ][2]
        == "yes"
    )
    assert got["cases: resident memory under load"] == [
        "max 252 MB (idle 240 MB)",
        "< 300 MB",
        "yes",
    ]
    assert got["notify: resident memory under load"][2] == "**no**"
    assert got["… and on cases.events → ledger entry (scoring)"][0] == (
        "p50 30 ms, p95 60 ms, p99 120 ms"
    )
    assert got["end to end: CPU ms per accepted suggestion (cores busy)"][0] == (
        "cases 12, bench client 4 (cases 0.61, bench client 0.20); load average 6.7 → 7.1"
    )


def test_losses_refusals_and_missing_percentiles_are_not_met() -> None:
    lossy = end_to_end(
        refused=3,
        refusals=["503"],
        entry_lost=2,
        mail_ms={"p50": None, "p95": None, "p99": None, "max": None},
        mail_lost=1000,
    )
    got = rows(table({"end to end": lossy}, chosen("end to end")))
    offered = got[
        "end to end: 100 suggestions/s offered for 10 s (open loop; sender apart, relays apart: cases)"
    ]
    assert offered[0].endswith("3 refused (503)")
    assert offered[2] == "**no**"
    assert got["end to end: HTTP accepted → ledger entry visible"][2] == "**no**"
    assert got["end to end: HTTP accepted → e-mail received"] == [
        "p50 —, p95 —, p99 —; 1,000 not received by the end",
        "p99 < 1 s",
        "**no**",
    ]


def test_a_stage_that_failed_or_changed_its_json_is_a_row_not_a_crash() -> None:
    got = rows(
        table(
            {"end to end": {"error": "exit status 1"}, "scoring backlog": {"events": 1}},
            chosen("scoring backlog", "end to end"),
        )
    )
    assert got["end to end"] == ["failed (exit status 1)", "", "**no**"]
    assert got["scoring backlog"][0].startswith("results unreadable")
    assert got["scoring backlog"][2] == "**no**"


def test_the_end_to_end_rows_say_how_it_ran_its_slowest_second_and_its_collections() -> None:
    window = {
        "second": "21:07:12",
        "cases": 40,
        "worst_ms": 2200,
        "worst_split_ms": {
            "accepted_to_topic": 20,
            "topic_to_handler": 2100,
            "handler_to_visible": 80,
        },
        "events": [],
    }
    pauses = {"scoring": {"count": 2, "max": 130.4, "total": 200.0, "max_cpu": 13.0}}
    shaped = end_to_end(
        notify_sender_process=False, relays_apart=[], slow_windows=[window], gc_pauses_ms=pauses
    )
    got = rows(table({"end to end": shaped}, chosen("end to end")))
    assert (
        "end to end: 100 suggestions/s offered for 10 s"
        " (open loop; sender in notify's process, relays in-process)"
    ) in got
    assert got["… the slowest second's worst entry (its split, ms)"][0] == (
        "21:07:12: 2,200 ms (accepted_to_topic 20, topic_to_handler 2100, handler_to_visible 80);"
        " 1 seconds over 250 ms shown by the stage"
    )
    assert got["… full collections during the load (--diagnose)"][0] == "scoring 2 (max 130 ms)"
    plain = rows(table({"end to end": end_to_end()}, chosen("end to end")))
    assert not any(k.startswith("… the slowest second") for k in plain)
