"""Group-robot webhooks of the WeCom (企业微信) and DingTalk (钉钉) kinds: a markdown message.

The address of a webhook delivery is the key of a configured robot, so the webhook URL (which
holds the robot's token) and its secret live in settings, not in the directory or a log.

DingTalk's signed robots: ``timestamp`` is the current time in milliseconds and
``sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")))``, both added
to the URL's query. Both services answer HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``; a
non-zero errcode is a failure: their rate-limit and busy codes are transient, the rest permanent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final
from urllib.parse import quote_plus

import httpx

from notify.adapters.base import Outgoing
from notify.adapters.http import Reply, post_json
from notify.domain.model import Channel
from notify.domain.retry import Delivered, Outcome, permanent, transient

TRANSIENT_ERRCODES: Final = frozenset(
    {
        -1,  # WeCom: system busy
        45009,  # WeCom: API frequency out of limit (20 messages a minute per robot)
        130101,  # DingTalk: sending too fast (20 a minute)
        660026,  # DingTalk: robot throttled
    }
)


class RobotKind(StrEnum):
    """Which group-robot protocol a webhook speaks."""

    wecom = "wecom"
    dingtalk = "dingtalk"


@dataclass(frozen=True, slots=True)
class Robot:
    """A configured group robot: its protocol, webhook URL and (DingTalk) signing secret."""

    kind: RobotKind
    url: str
    secret: str | None = None


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """Return DingTalk's URL-encoded signature of a millisecond timestamp."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return quote_plus(base64.b64encode(digest).decode())


def signed_url(robot: Robot, now: Callable[[], float]) -> str:
    """Return the URL to post to: DingTalk's with timestamp and sign when it has a secret."""
    if robot.kind is not RobotKind.dingtalk or not robot.secret:
        return robot.url
    timestamp = int(now() * 1000)
    sep = "&" if "?" in robot.url else "?"
    return f"{robot.url}{sep}timestamp={timestamp}&sign={dingtalk_sign(robot.secret, timestamp)}"


def payload(robot: Robot, title: str, markdown: str) -> dict[str, Any]:
    """Return the markdown message body in the robot's protocol."""
    if robot.kind is RobotKind.dingtalk:
        return {"msgtype": "markdown", "markdown": {"title": title, "text": markdown}}
    return {"msgtype": "markdown", "markdown": {"content": markdown}}


class RobotSender:
    """Posts markdown messages to configured group robots."""

    channel = Channel.webhook

    def __init__(
        self,
        robots: Mapping[str, Robot],
        client: httpx.AsyncClient,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._robots = dict(robots)
        self._client = client
        self._clock = clock

    async def send(self, outgoing: Outgoing) -> Outcome:
        """Send one markdown message to the robot the address names."""
        robot = self._robots.get(outgoing.address)
        if robot is None:
            return permanent("no robot configured under that key")
        body = payload(robot, outgoing.message.title, outgoing.message.body)
        headers = {"Idempotency-Key": outgoing.delivery_id}
        url = signed_url(robot, self._clock)
        reply = await post_json(self._client, url, body, headers, what=f"{robot.kind} robot")
        if not isinstance(reply, Reply):
            return reply
        try:
            errcode = int(reply.body.get("errcode", 0))
        except (TypeError, ValueError):
            return permanent(f"{robot.kind} robot: unreadable errcode")
        if errcode == 0:
            return Delivered(None)
        reason = f"{robot.kind} robot: errcode {errcode}"
        return transient(reason) if errcode in TRANSIENT_ERRCODES else permanent(reason)
