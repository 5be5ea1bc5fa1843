"""``python -m notify sender``: the sender alone, in a process of its own.

For HTTP processes started with ``NOTIFY_SENDER_IN_PROCESS=false``: they take events in, run the
digest and gauge the backlog; this process claims due deliveries and sends them, so the intake's
CPU and the sender's no longer share one core. It takes the sender job's lease as an HTTP process
would (two sender processes never send the same claim), is woken by the intake's commits through
PostgreSQL's NOTIFY (its poll remains), serves the kit's probes (``/livez``, ``/readyz``,
``/metrics``) on ``HTTP_PORT`` once sending and ends on SIGTERM or SIGINT.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from kit.service.process import probes
from notify.handlers.sending import woken_by_commits
from notify.settings import NotifySettings
from notify.wiring import wire

log = logging.getLogger(__name__)


async def sender_only(settings: NotifySettings) -> None:
    """Wire the service with only the sender job; run it until a signal."""
    core = wire(settings, sender_only=True)
    runtime = core.runtime
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await runtime.start(relay=False, consumers=False, jobs=True)
    try:
        async with woken_by_commits(core.services, runtime.engine), probes(runtime):
            log.info("notify's sender runs alone (probes on port %d)", settings.http_port)
            await stop.wait()
    finally:
        await runtime.stop()
