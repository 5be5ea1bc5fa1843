"""The ``replay`` subcommand: arguments, the metrics endpoint, the exit status."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from prometheus_client import CollectorRegistry, start_http_server

from kit.migrate import upgrade
from scoring.replay.progress import make_replay_metrics
from scoring.replay.run import replay, summary
from scoring.replay.source import ReplayStalledError
from scoring.replay.switch import ReplayRefusedError
from scoring.settings import MIGRATIONS, ScoringSettings


def parser() -> argparse.ArgumentParser:
    """Return the subcommand's argument parser."""
    p = argparse.ArgumentParser(
        prog="python -m scoring replay",
        description="Rebuild scoring's ledgers and projections from deputies.events and "
        "cases.events into fresh tables, then switch over in one transaction. "
        "Stop the scoring service first.",
    )
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--year", type=int, help="rebuild one year's ledgers (to the group's offsets)"
    )
    which.add_argument(
        "--all",
        action="store_true",
        help="rebuild everything (to the topics' ends; moves the group)",
    )
    p.add_argument(
        "--metrics-port", type=int, default=None, help="serve the replay's /metrics on this port"
    )
    return p


def run(settings: ScoringSettings, argv: Sequence[str]) -> int:
    """Run a replay from command-line arguments; return the exit status (2 refused, 3 stalled)."""
    args = parser().parse_args(argv)
    registry = CollectorRegistry()
    metrics = make_replay_metrics(registry)
    if args.metrics_port is not None:
        start_http_server(args.metrics_port, registry=registry)

    async def go() -> str:
        await upgrade(MIGRATIONS, settings.database_url)  # not bootstrap's: no app imported
        return summary(await replay(settings, year=args.year, metrics=metrics))

    try:
        print(asyncio.run(go()), flush=True)
    except ReplayRefusedError as refused:
        print(f"replay refused: {refused}", file=sys.stderr, flush=True)
        return 2
    except ReplayStalledError as stalled:
        print(f"replay stalled: {stalled}", file=sys.stderr, flush=True)
        return 3
    return 0
