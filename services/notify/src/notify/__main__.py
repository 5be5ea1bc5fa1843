"""Run the notify service: ``python -m notify`` (migrates, then serves HTTP).

``python -m notify relay`` relays the outbox alone (``NOTIFY_RELAY_IN_PROCESS=false``);
``python -m notify sender`` sends alone (``NOTIFY_SENDER_IN_PROCESS=false``).
"""

from __future__ import annotations

import sys

import uvloop
from fastapi import FastAPI

from kit.runtime import settle_heap
from kit.service import process
from notify.bootstrap import MIGRATIONS, build
from notify.entrypoints.sender import sender_only
from notify.settings import NotifySettings


def settings() -> NotifySettings:
    """Read the service's settings and configure logging."""
    return process.configured(lambda: NotifySettings.for_service("notify"))


def create_app() -> FastAPI:
    """Build the app of one worker (uvicorn calls this in each worker process)."""
    return build(settings()).app


def main() -> None:
    """Migrate the database, serve the API with the consumers, the sender and the digest job."""
    if sys.argv[1:] == ["sender"]:
        settle_heap()  # start-up out of full collections, as the HTTP process's lifespan does
        uvloop.run(sender_only(settings()))  # the service's loop (kit.serve)
        return
    process.main(settings, app="notify.__main__:create_app", migrations=MIGRATIONS)


if __name__ == "__main__":
    main()
