"""From a planned delivery to the message a channel adapter sends: render, then address it."""

from __future__ import annotations

from notify.adapters.base import Outgoing
from notify.domain.preferences import Planned
from notify.templates.render import Renderer, context


def compose(
    planned: Planned,
    renderer: Renderer,
    *,
    township_name: str | None = None,
    subject_title: str | None = None,
) -> Outgoing:
    """Return the outgoing message of a planned delivery; raise ``RenderError`` or ``ValueError``.

    A ``RenderError`` (a template that does not fit) or a ``ValueError`` (no usable address) is
    to be recorded as a permanent failure of this delivery; the consumer goes on.
    """
    notice = planned.notice
    address = notice.recipient.address(planned.channel)
    if address is None or planned.problem is not None:
        raise ValueError(planned.problem or "no usable address")
    ctx = context(
        notice.event.data,
        event_type=notice.event.type,
        recipient_name=notice.recipient.name,
        township_name=township_name,
        subject_title=subject_title,
    )
    message = renderer.render(notice.template, planned.channel, ctx)
    return Outgoing(planned.key.delivery_id(), address, message)
