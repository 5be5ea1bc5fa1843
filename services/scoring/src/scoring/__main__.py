"""Run the scoring service: ``python -m scoring`` (migrates, then serves HTTP and consumes).

``python -m scoring replay --year YYYY | --all`` rebuilds the ledgers from the topics instead
(see ``scoring.replay``; stop the service first).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from kit.service import process
from scoring.settings import MIGRATIONS, ScoringSettings

if TYPE_CHECKING:
    from fastapi import FastAPI


def settings() -> ScoringSettings:
    """Read the service's settings and configure logging."""
    return process.configured(lambda: ScoringSettings.for_service("scoring"))


def create_app() -> FastAPI:
    """Build the app of one worker (uvicorn calls this in each worker process)."""
    from scoring.bootstrap import build, settle_collector  # the app, not what a replay needs

    app = build(settings()).app
    settle_collector()  # what start-up built stays: out of the collector's passes
    return app


def main(argv: list[str] | None = None) -> None:
    """Migrate the database, serve the API with the relay and the ledger consumer; or replay."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["replay"]:
        from scoring.replay.cli import run

        raise SystemExit(run(settings(), args[1:]))
    from scoring.bootstrap import count_uncounted_ledgers  # the app's (a replay imports none)

    process.main(
        settings,
        app="scoring.__main__:create_app",
        migrations=MIGRATIONS,
        prepare=count_uncounted_ledgers,
    )


if __name__ == "__main__":
    main()
