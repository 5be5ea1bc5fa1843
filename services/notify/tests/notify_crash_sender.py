"""A separate sender process for the crash test: sends until it kills itself (SIGKILL).

``--die-after N`` kills the process the moment the channel has accepted its N-th message, i.e.
after a send and before its outcome is recorded: the window in which a crash causes a repeat.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

from notify_harness import settings_for

from notify.adapters.base import Outgoing
from notify.domain.retry import Delivered, Outcome
from notify.handlers.sending import send_round
from notify.wiring import wire


async def main() -> None:
    """Send rounds until killed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--claim-seconds", type=float, default=2.0)
    parser.add_argument("--mark-every", type=int, default=50)
    parser.add_argument("--die-after", type=int, required=True)
    args = parser.parse_args()
    settings = settings_for(
        args.db,
        args.prefix,
        smtp_port=args.smtp_port,
        sender_batch=args.batch,
        sender_mark_every=args.mark_every,
        sender_claim_seconds=args.claim_seconds,
    )
    core = wire(settings)
    channels = core.services.channels
    accepted = 0
    send = channels.send

    async def counted(outgoing: Outgoing) -> Outcome:
        nonlocal accepted
        outcome = await send(outgoing)
        if isinstance(outcome, Delivered):
            accepted += 1
            if accepted >= args.die_after:
                os.kill(os.getpid(), signal.SIGKILL)
        return outcome

    channels.send = counted  # type: ignore[method-assign]
    print("started", flush=True)
    while True:
        if not (await send_round(core.services)).claimed:
            await asyncio.sleep(0.1)


if __name__ == "__main__":
    asyncio.run(main())
