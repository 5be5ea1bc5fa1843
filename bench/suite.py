"""`./dev bench`: every bench of the platform in one run on one broker; JSON and a Markdown table.

Each stage is a bench of its own (the kit's relay and runner, HTTP ingest of deputies and cases,
scoring's backlog, notify's mails, and the four services end to end at 100 suggestions/s with
their memory), run as a subprocess one after the other, so each measures its ratio against raw
aiokafka / asyncpg / aiosmtplib in the same minute. The results go to
``.local/bench/results.json`` and ``.local/bench/results.md`` (the table the README quotes).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import broker

ROOT = Path(__file__).resolve().parents[1]

Row = tuple[str, str, str, str]
"""One line of the table: measure, result, target, met (yes / no / —)."""


@dataclass(frozen=True)
class Stage:
    """A bench to run and how to read its JSON into table rows."""

    name: str
    argv: Sequence[str]
    rows: Callable[[dict[str, Any]], list[Row]]


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _kit(r: dict[str, Any]) -> list[Row]:
    publish, consume, e2e = r["publish"], r["consume"], r["end_to_end_ms"]
    return [
        (
            "outbox relay publish / raw aiokafka",
            f"{publish['relay_per_s']:,.0f} / {publish['raw_aiokafka_per_s']:,.0f} events/s"
            f" = {publish['ratio']:.2f}",
            "—",
            "—",
        ),
        (
            "runner consume / raw aiokafka",
            f"{consume['runner_per_s']:,.0f} / {consume['raw_aiokafka_per_s']:,.0f} events/s"
            f" = {consume['ratio']:.2f}; CPU {consume.get('runner_cpu_us_per_event', 0):.0f}"
            f" / {consume.get('raw_aiokafka_cpu_us_per_event', 0):.0f} µs per event",
            "—",
            "—",
        ),
        (
            f"outbox → handled, at {e2e['rate_per_s']}/s",
            f"p50 {e2e['p50'] or 0:.0f} ms, p99 {e2e['p99'] or 0:.0f} ms",
            "—",
            "—",
        ),
    ]


def _ingest(service: str, route: str) -> Callable[[dict[str, Any]], list[Row]]:
    def rows(r: dict[str, Any]) -> list[Row]:
        rps, p99 = r["post_rps"], r.get("post_p99_ms", float("inf"))
        found: list[Row] = [
            (
                f"{service}: POST {route}, 16 clients",
                f"{rps:,.0f} req/s, p50 {r.get('post_p50_ms', 0):.0f} ms, p99 {p99:.0f} ms;"
                f" raw asyncpg {r['raw_rps']:,.0f} req/s (ratio {r['ratio']:.2f})",
                "≥ 300 req/s, p99 < 100 ms",
                _met(rps >= 300 and p99 < 100 and r["post_errors"] == 0),
            )
        ]
        lag = r.get("accepted_to_published_ms")
        if lag:
            where = "a relay process" if r.get("relay_process") else "the HTTP process's relay"
            found.append(
                (
                    f"{service}: 201 received → on its topic ({where})",
                    f"p50 {lag['p50']:.0f} ms, p95 {lag['p95']:.0f} ms, p99 {lag['p99']:.0f} ms",
                    "—",
                    "—",
                )
            )
        return found

    return rows


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


def _spread(ms: dict[str, float | None]) -> str:
    return f"p50 {_ms(ms.get('p50'))}, p95 {_ms(ms.get('p95'))}, p99 {_ms(ms.get('p99'))}"


def _under(ms: dict[str, float | None], limit: float) -> bool:
    p99 = ms.get("p99")
    return p99 is not None and p99 < limit


def _scoring(r: dict[str, Any]) -> list[Row]:
    return [
        (
            f"scoring backlog / raw aiokafka ({r['events']:,} events)",
            f"{r['scoring_per_s']:,.0f} / {r['raw_aiokafka_per_s']:,.0f} events/s"
            f" = {r['ratio_to_raw']:.3f}; {r['entries_per_s']:,.0f} entries/s",
            "≥ 0.25 of raw",
            _met(r["ratio_to_raw"] >= 0.25),
        ),
        (
            f"scoring: published → entry visible, at {r['timed_rate_per_s']:.0f}/s",
            f"p50 {_ms(r['visible_p50_ms'])}, p99 {_ms(r['visible_p99_ms'])}"
            f" ({r['timed_events']:,}/{r['timed_sent']:,} seen)",
            "—",
            "—",
        ),
        *(
            [
                (
                    "scoring once consuming (start-up excluded) / raw aiokafka",
                    f"{r['steady_per_s']:,.0f} distinct events/s = {r['steady_ratio_to_raw']:.3f}",
                    "—",
                    "—",
                )
            ]
            if "steady_per_s" in r
            else []
        ),
        (
            "scoring: resident memory (backlog)",
            f"{r['rss_mb']:.0f} MB",
            "< 300 MB",
            _met(r["rss_mb"] < 300),
        ),
    ]


def _shape(r: dict[str, Any]) -> str:
    """Say how the stage ran the platform: notify's sender and the relays apart or not."""
    sender = "sender apart" if r.get("notify_sender_process") else "sender in notify's process"
    relays = r.get("relays_apart") or []
    if relays is True:  # results of before the list
        relays = ["all"]
    return sender + (f", relays apart: {', '.join(relays)}" if relays else ", relays in-process")


def _end_to_end(r: dict[str, Any]) -> list[Row]:
    rate, accepted, refused = r["offered_rate_per_s"], r["accepted"], r["refused"]
    why = f" ({', '.join(r['refusals'])})" if r["refusals"] else ""
    rows: list[Row] = [
        (
            f"end to end: {rate:.0f} suggestions/s offered for {r['load_seconds']:.0f} s"
            f" (open loop; {_shape(r)})",
            f"sent at {r['achieved_rate_per_s']:.1f}/s, accepted {r['accepted_rate_per_s']:.1f}/s;"
            f" {accepted:,} of {r['offered']:,} accepted, {refused:,} refused{why}",
            f"{rate:.0f}/s held, none refused",
            _met(r["achieved_rate_per_s"] >= 0.95 * rate and refused == 0 and accepted > 0),
        ),
        ("end to end: request due → 201", _spread(r["http_ms"]), "—", "—"),
        (
            "end to end: HTTP accepted → ledger entry visible",
            f"{_spread(r['entry_ms'])}; {r['entry_lost']:,} not seen by the end",
            "p99 < 250 ms",
            _met(_under(r["entry_ms"], 250) and r["entry_lost"] == 0),
        ),
        (
            "end to end: HTTP accepted → e-mail received",
            f"{_spread(r['mail_ms'])}; {r['mail_lost']:,} not received by the end",
            "p99 < 1 s",
            _met(_under(r["mail_ms"], 1000) and r["mail_lost"] == 0),
        ),
    ]
    if "published_ms" in r:
        rows += [
            (
                "… of which accepted → on cases.events (cases' relay)",
                _spread(r["published_ms"]),
                "—",
                "—",
            ),
            (
                "… and on cases.events → ledger entry (scoring)",
                _spread(r["published_to_entry_ms"]),
                "—",
                "—",
            ),
            (
                "… and on cases.events → e-mail received (notify)",
                _spread(r["published_to_mail_ms"]),
                "—",
                "—",
            ),
        ]
    if r.get("slow_windows"):
        worst = r["slow_windows"][0]
        split = ", ".join(f"{k} {v}" for k, v in worst["worst_split_ms"].items())
        rows.append(
            (
                "… the slowest second's worst entry (its split, ms)",
                f"{worst['second']}: {worst['worst_ms']:,} ms ({split});"
                f" {len(r['slow_windows'])} seconds over 250 ms shown by the stage",
                "—",
                "—",
            )
        )
    if r.get("gc_pauses_ms"):
        pauses = ", ".join(
            f"{n} {g['count']:.0f} (max {g['max']:.0f} ms)" for n, g in r["gc_pauses_ms"].items()
        )
        rows.append(("… full collections during the load (--diagnose)", pauses, "—", "—"))
    if "cpu_ms_per_accepted" in r:
        per = ", ".join(f"{n} {ms:.0f}" for n, ms in r["cpu_ms_per_accepted"].items())
        share = ", ".join(f"{n} {c:.2f}" for n, c in r["cpu_share"].items())
        load = r.get("load_average", {})
        rows.append(
            (
                "end to end: CPU ms per accepted suggestion (cores busy)",
                f"{per} ({share}); load average {load.get('before', 0):.1f} → {load.get('after', 0):.1f}",
                "—",
                "—",
            )
        )
    for service, mb in r["rss_mb"].items():
        idle = r.get("idle_rss_mb", {}).get(service)
        before = f" (idle {idle:.0f} MB)" if idle is not None else ""
        rows.append(
            (
                f"{service}: resident memory under load",
                f"max {mb:.0f} MB{before}",
                "< 300 MB",
                _met(mb < 300),
            )
        )
    return rows


def _notify(r: dict[str, Any]) -> list[Row]:
    return [
        (
            f"notify: {r['events']:,} events → mails / raw aiosmtplib",
            f"{r['notify_mails_per_s']:,.0f} / {r['raw_mails_per_s']:,.0f} mails/s"
            f" = {r['ratio_to_raw']:.2f}; {r['repeats']} repeats",
            "≥ 0.5 of raw and ≥ 500 mails/s",
            _met(r["ratio_to_raw"] >= 0.5 and r["notify_mails_per_s"] >= 500),
        ),
        (
            "notify: event → mail received",
            f"p50 {r['latency_p50_ms']:.0f} ms, p99 {r['latency_p99_ms']:.0f} ms",
            "—",
            "—",
        ),
        ("notify: resident memory", f"{r['rss_mb']:.0f} MB", "< 300 MB", _met(r["rss_mb"] < 300)),
        *_notify_split(r),
    ]


def _notify_split(r: dict[str, Any]) -> list[Row]:
    """The same burst with the sender in a process of its own (``--sender-process``)."""
    if "split_notify_mails_per_s" not in r:
        return []
    return [
        (
            "notify, sender in its own process: events → mails / raw aiosmtplib",
            f"{r['split_notify_mails_per_s']:,.0f} / {r['raw_mails_per_s']:,.0f} mails/s"
            f" = {r['split_ratio_to_raw']:.2f}; {r['split_repeats']} repeats",
            "≥ 0.5 of raw and ≥ 500 mails/s",
            _met(r["split_ratio_to_raw"] >= 0.5 and r["split_notify_mails_per_s"] >= 500),
        ),
        (
            "notify, sender in its own process: event → mail received",
            f"p50 {r['split_latency_p50_ms']:.0f} ms, p99 {r['split_latency_p99_ms']:.0f} ms",
            "—",
            "—",
        ),
    ]


def stages(quick: bool) -> list[Stage]:
    """Return the stages, smaller with ``quick`` (a smoke run, not numbers to quote)."""
    py = sys.executable
    seconds = "5" if quick else "15"
    scoring = ["5000", "--timed", "200"] if quick else ["20000", "--timed", "1500"]
    return [
        Stage(
            "kit relay and runner",
            [py, "-m", "bench", "--events", "5000" if quick else "20000"],
            _kit,
        ),
        Stage(
            "deputies HTTP ingest",
            [py, "services/deputies/bench_deputies.py", "--skip-roster", "--seconds", seconds],
            _ingest("deputies", "/deputies"),
        ),
        Stage(
            "cases HTTP ingest",
            [py, "services/cases/bench_cases.py", "--skip-tick", "--seconds", seconds],
            _ingest("cases", "/suggestions"),
        ),
        Stage("scoring backlog", [py, "services/scoring/bench_consumer.py", *scoring], _scoring),
        Stage(
            "notify mails",
            [
                py,
                "services/notify/bench_notify.py",
                "--events",
                "1000" if quick else "10000",
                "--sender-process",
            ],
            _notify,
        ),
        Stage(
            "end to end",
            [py, "-m", "bench.end_to_end", "--rate", "100", "--seconds", "10" if quick else "30"],
            _end_to_end,
        ),
    ]


def run_stage(stage: Stage, out: Path) -> dict[str, Any]:
    """Run one bench with its output on this terminal; return what it emitted."""
    print(f"\n==> {stage.name}: {' '.join(stage.argv[1:])}", file=sys.stderr, flush=True)
    path = os.pathsep.join([str(ROOT), str(ROOT / "tests" / "e2e")])  # four_services, for e2e
    env = {**os.environ, "BENCH_OUT": str(out), "PYTHONPATH": path}
    started = time.perf_counter()
    done = subprocess.run(stage.argv, cwd=ROOT, env=env, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0 or not out.exists():
        return {"error": f"exit status {done.returncode}", "seconds": took}
    results: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    results["seconds"] = took
    return results


def table(results: dict[str, dict[str, Any]], chosen: Sequence[Stage]) -> str:
    """Return the Markdown table of every stage's rows."""
    lines = ["| Measure | Result | Target | Met |", "|---|---|---|---|"]
    for stage in chosen:
        r = results[stage.name]
        if "error" in r:
            lines.append(f"| {stage.name} | failed ({r['error']}) | | **no** |")
            continue
        try:
            rows = stage.rows(r)
        except (KeyError, TypeError, ValueError) as error:  # a bench that changed its JSON
            lines.append(f"| {stage.name} | results unreadable ({error!r}) | | **no** |")
            continue
        lines += [f"| {m} | {v} | {t} | {ok} |" for m, v, t, ok in rows]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen stages; write .local/bench/results.{json,md}; print the table."""
    parser = argparse.ArgumentParser(prog="./dev bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--only", action="append", help="run only stages whose name has this")
    args = parser.parse_args(argv)
    chosen = [s for s in stages(args.quick) if not args.only or any(o in s.name for o in args.only)]
    target = ROOT / ".local" / "bench"
    target.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    before = asyncio.run(broker.state())
    print(f"broker: {before.topics} topics, {before.partitions} partitions", flush=True)
    if before.leftovers > broker.CROWDED:
        print(
            f"warning: {before.leftovers} topics left by earlier runs slow the broker and what it"
            " measures; `python -m bench.broker --prune` deletes them (with no test running)",
            flush=True,
        )
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for n, stage in enumerate(chosen):
            results[stage.name] = run_stage(stage, Path(tmp) / f"{n}.json")
    load = os.getloadavg()
    document = {
        "load_average": load,
        "cores": os.cpu_count(),
        "broker_at_start": dataclasses.asdict(before),
        "stages": results,
    }
    (target / "results.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    markdown = table(results, chosen)
    (target / "results.md").write_text(markdown, encoding="utf-8")
    print(f"\nload average at the end {load[0]:.1f} on {os.cpu_count()} cores\n")
    print(markdown)
    print(f"written: {target / 'results.json'}, {target / 'results.md'}")
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
