"""``python -m county``: load the demo county through the APIs, wait for the consumers, summarise."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import date

from county.api import Platform, Urls
from county.load import already_loaded, load
from county.summary import caught_up, summary
from kit.clock import today


def tell(line: str) -> None:
    """Print a progress line."""
    print(f"  .. {line}", file=sys.stderr, flush=True)


async def run(urls: Urls, day: date, *, summary_only: bool) -> None:
    """Load unless loaded (or asked not to), wait until caught up, print the summary."""
    async with Platform(urls) as platform:
        if summary_only:
            pass
        elif await already_loaded(platform):
            tell("the county is loaded already (东湖镇's roster is verified): nothing to load")
        else:
            loaded = await load(platform, day, tell)
            settle = float(os.environ.get("JOB_INTERVAL_SECONDS", "60")) + 2
            tell(f"letting the chase scheduler look at the year once ({settle:.0f} s)")
            await asyncio.sleep(settle)
            tell(
                f"loaded {loaded.deputies} deputies, {loaded.activities} activities, "
                f"{loaded.manuscripts} manuscripts, {loaded.cases} cases with "
                f"{loaded.requests} requests in {loaded.seconds:.0f} s"
            )
        tell("waiting until scoring and notify have consumed every event")
        await caught_up(platform, tell)
        for line in await summary(platform, day.year):
            print(line, flush=True)


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(prog="python -m county", description=__doc__)
    defaults = Urls()
    for name in ("deputies", "cases", "scoring", "notify"):
        parser.add_argument(f"--{name}", default=getattr(defaults, name), help=f"{name} base URL")
    parser.add_argument(
        "--today", type=date.fromisoformat, default=None, help="the last day played"
    )
    parser.add_argument("--summary", action="store_true", help="only wait and print the summary")
    args = parser.parse_args()
    urls = Urls(args.deputies, args.cases, args.scoring, args.notify)
    asyncio.run(run(urls, args.today or today(), summary_only=args.summary))


if __name__ == "__main__":
    main()
