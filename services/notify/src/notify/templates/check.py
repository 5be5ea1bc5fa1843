"""Start-up check: every template a routing table uses renders for every channel from sample events.

A template that does not render with its event's contract data (or overflows a channel) fails the
start, not a delivery at three in the morning.
"""

from __future__ import annotations

from notify.domain.model import Channel
from notify.domain.routing import RoutingTable
from notify.templates import samples
from notify.templates.render import Renderer, RenderError, context


def check_templates(renderer: Renderer, table: RoutingTable) -> list[str]:
    """Return the problems of rendering the table's templates (empty when all render)."""
    problems: list[str] = []
    pairs = sorted({(t, r.template) for t, routes in table.items() for r in routes})
    for event_type, key in pairs:
        for sample in (samples.typical, samples.longest):
            try:
                data = sample(event_type)
            except KeyError as exc:
                problems.append(f"{key}: {exc}")
                break
            # once with the case projection's title (its longest form) and once without it
            for title in (None, samples.TITLE if sample is samples.typical else "长" * 500):
                ctx = context(
                    data, event_type=event_type, recipient_name="示例", subject_title=title
                )
                for channel in Channel:
                    try:
                        renderer.render(key, channel, ctx)
                    except RenderError as exc:
                        titled = "" if title is None else " with a case title"
                        problems.append(f"{sample.__name__}{titled} {channel}: {exc}")
    return problems
