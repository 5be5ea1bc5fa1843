"""The SMS gateway and group-robot webhooks against a real HTTP server on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import parse_qs, unquote_plus, urlsplit

import httpx
import pytest

from notify.adapters.base import Channels, Outgoing
from notify.adapters.robot import Robot, RobotKind, RobotSender, dingtalk_sign
from notify.adapters.sms import SmsSender, SmsSettings, signature
from notify.domain.model import Channel
from notify.domain.retry import Delivered, Failed, Failure
from notify.templates.render import Rendered
from notify.testing.servers import Scripted, free_port, http_endpoint

SMS = Outgoing(
    "9d7c-delivery-1",
    "+86 138 0000 1234",
    Rendered(Channel.sms, "已超期", "【县人大】“老街排水”已超期，请立即答复。", 1),
)


def robot_message(key: str) -> Outgoing:
    """Return a robot message for the robot configured under ``key``."""
    return Outgoing(
        "9d7c-delivery-2", key, Rendered(Channel.webhook, "已超期", "#### 已超期\n\n请答复")
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    """Return an HTTP client with a short timeout."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.5)) as http:
        yield http


def sms_sender(url: str, client: httpx.AsyncClient) -> SmsSender:
    """Return an SMS sender with a fixed clock."""
    return SmsSender(SmsSettings(url, "key-1", "s3cret"), client, clock=lambda: 1_700_000_000.0)


async def test_an_sms_is_posted_signed_with_the_delivery_id_as_idempotency_key(
    client: httpx.AsyncClient,
) -> None:
    with http_endpoint(Scripted(200, {"id": "gw-42"})) as gateway:
        outcome = await sms_sender(gateway.url("/sms"), client).send(SMS)
    assert outcome == Delivered("gw-42")
    [request] = gateway.requests()
    assert request.path == "/sms"
    assert request.json() == {
        "id": "9d7c-delivery-1",
        "to": "13800001234",
        "text": "【县人大】“老街排水”已超期，请立即答复。",
        "segments": 1,
    }
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["idempotency-key"] == "9d7c-delivery-1"
    assert headers["x-api-key"] == "key-1"
    assert headers["x-timestamp"] == "1700000000"
    expected = hmac.new(b"s3cret", b"1700000000\n" + request.body, hashlib.sha256).hexdigest()
    assert headers["x-signature"] == expected == signature("s3cret", "1700000000", request.body)


@pytest.mark.parametrize(
    ("answer", "failure", "reason"),
    [
        (Scripted(500, {"error": "internal"}), Failure.transient, "SMS gateway: HTTP 500 (internal)"),
        (Scripted(502, "<html>bad gateway</html>"), Failure.transient, "SMS gateway: HTTP 502"),
        (Scripted(503, {}), Failure.transient, "SMS gateway: HTTP 503"),
        (Scripted(429, {"code": "RATE_LIMITED"}), Failure.transient, "SMS gateway: HTTP 429 (RATE_LIMITED)"),
        (Scripted(400, {"code": "InvalidMobile", "to": "13800001234"}), Failure.permanent, "SMS gateway: HTTP 400 (InvalidMobile)"),
        (Scripted(401, {"error": "bad signature"}), Failure.permanent, "SMS gateway: HTTP 401"),
        (Scripted(200, {"ok": False, "code": "Blacklisted"}), Failure.permanent, "SMS gateway refused (Blacklisted)"),
    ],
)  # fmt: skip
async def test_gateway_answers_are_classified_without_personal_data(
    client: httpx.AsyncClient, answer: Scripted, failure: Failure, reason: str
) -> None:
    with http_endpoint(answer) as gateway:
        outcome = await sms_sender(gateway.url(), client).send(SMS)
    assert outcome == Failed(failure, reason)
    assert "1380000" not in outcome.reason


async def test_retry_after_of_a_429_is_kept(client: httpx.AsyncClient) -> None:
    with http_endpoint(Scripted(429, {}, {"Retry-After": "120"})) as gateway:
        outcome = await sms_sender(gateway.url(), client).send(SMS)
    assert outcome == Failed(Failure.transient, "SMS gateway: HTTP 429", timedelta(seconds=120))


async def test_a_gateway_slower_than_the_timeout_is_transient(client: httpx.AsyncClient) -> None:
    with http_endpoint(Scripted(200, {}, delay=1.5)) as gateway:
        outcome = await sms_sender(gateway.url(), client).send(SMS)
    assert outcome == Failed(Failure.transient, "SMS gateway: timeout")


async def test_a_gateway_that_is_down_is_transient(client: httpx.AsyncClient) -> None:
    outcome = await sms_sender(f"http://127.0.0.1:{free_port()}/", client).send(SMS)
    assert isinstance(outcome, Failed)
    assert outcome.failure is Failure.transient


async def test_500_then_200_is_one_delivery_on_the_second_attempt(
    client: httpx.AsyncClient,
) -> None:
    with http_endpoint(Scripted(500, {}), Scripted(200, {"id": "gw-1"})) as gateway:
        sender = sms_sender(gateway.url(), client)
        first, second = await sender.send(SMS), await sender.send(SMS)
    assert isinstance(first, Failed)
    assert first.transient
    assert second == Delivered("gw-1")
    keys = {r.headers["Idempotency-Key"] for r in gateway.requests()}
    assert keys == {"9d7c-delivery-1"}  # the same key both times: the gateway can deduplicate


@pytest.mark.parametrize("address", ["010-8765-4321", "12345", "", "+1 415 555 0100"])
async def test_a_number_that_is_no_mainland_mobile_is_permanent_and_not_sent(
    client: httpx.AsyncClient, address: str
) -> None:
    with http_endpoint() as gateway:
        sms = Outgoing(SMS.delivery_id, address, SMS.message)
        outcome = await sms_sender(gateway.url(), client).send(sms)
    assert outcome == Failed(Failure.permanent, "not a mainland mobile number")
    assert gateway.requests() == []


def test_dingtalk_signature_follows_the_documented_recipe() -> None:
    secret, timestamp = "SECxyz", 1_700_000_000_123
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    assert unquote_plus(dingtalk_sign(secret, timestamp)) == base64.b64encode(mac).decode()
    assert "+" not in dingtalk_sign(secret, timestamp)  # URL-encoded


async def test_a_dingtalk_robot_gets_signed_markdown(client: httpx.AsyncClient) -> None:
    with http_endpoint(Scripted(200, {"errcode": 0, "errmsg": "ok"})) as hook:
        robots = {
            "dh-office": Robot(RobotKind.dingtalk, hook.url("/robot/send?access_token=T"), "SECxyz")
        }
        sender = RobotSender(robots, client, clock=lambda: 1_700_000_000.123)
        outcome = await sender.send(robot_message("dh-office"))
    assert outcome == Delivered(None)
    [request] = hook.requests()
    query = parse_qs(urlsplit(request.path).query)
    assert query["access_token"] == ["T"]
    timestamp = int(query["timestamp"][0])
    assert timestamp == 1_700_000_000_123
    mac = hmac.new(b"SECxyz", f"{timestamp}\nSECxyz".encode(), hashlib.sha256).digest()
    assert query["sign"] == [base64.b64encode(mac).decode()]
    assert request.json() == {
        "msgtype": "markdown",
        "markdown": {"title": "已超期", "text": "#### 已超期\n\n请答复"},
    }


async def test_a_wecom_robot_gets_markdown_content(client: httpx.AsyncClient) -> None:
    with http_endpoint() as hook:
        robots = {"unit-group": Robot(RobotKind.wecom, hook.url("/cgi-bin/webhook/send?key=K"))}
        outcome = await RobotSender(robots, client).send(robot_message("unit-group"))
    assert outcome == Delivered(None)
    [request] = hook.requests()
    assert request.path == "/cgi-bin/webhook/send?key=K"
    assert request.json() == {
        "msgtype": "markdown",
        "markdown": {"content": "#### 已超期\n\n请答复"},
    }


@pytest.mark.parametrize(
    ("kind", "answer", "failure"),
    [
        (RobotKind.dingtalk, Scripted(200, {"errcode": 130101, "errmsg": "send too fast"}), Failure.transient),
        (RobotKind.dingtalk, Scripted(200, {"errcode": 310000, "errmsg": "sign not match"}), Failure.permanent),
        (RobotKind.wecom, Scripted(200, {"errcode": 45009, "errmsg": "api freq out of limit"}), Failure.transient),
        (RobotKind.wecom, Scripted(200, {"errcode": 93000, "errmsg": "invalid webhook url"}), Failure.permanent),
        (RobotKind.wecom, Scripted(503, {}), Failure.transient),
        (RobotKind.wecom, Scripted(404, {}), Failure.permanent),
    ],
)  # fmt: skip
async def test_robot_errcodes_are_classified(
    client: httpx.AsyncClient, kind: RobotKind, answer: Scripted, failure: Failure
) -> None:
    with http_endpoint(answer) as hook:
        robots = {"g": Robot(kind, hook.url("/send?access_token=T"), "SEC")}
        outcome = await RobotSender(robots, client).send(robot_message("g"))
    assert isinstance(outcome, Failed)
    assert outcome.failure is failure
    assert "access_token" not in outcome.reason
    assert "SEC" not in outcome.reason


async def test_a_slow_or_absent_robot_is_transient(client: httpx.AsyncClient) -> None:
    with http_endpoint(Scripted(200, {"errcode": 0}, delay=1.5)) as hook:
        slow = {"g": Robot(RobotKind.wecom, hook.url("/send?key=K"))}
        timed_out = await RobotSender(slow, client).send(robot_message("g"))
    absent = {"g": Robot(RobotKind.dingtalk, f"http://127.0.0.1:{free_port()}/send", "SEC")}
    refused = await RobotSender(absent, client).send(robot_message("g"))
    assert timed_out == Failed(Failure.transient, "wecom robot: timeout")
    assert isinstance(refused, Failed)
    assert refused.failure is Failure.transient
    assert "SEC" not in refused.reason


async def test_a_robot_key_nobody_configured_is_permanent(client: httpx.AsyncClient) -> None:
    outcome = await RobotSender({}, client).send(robot_message("missing"))
    assert outcome == Failed(Failure.permanent, "no robot configured under that key")


async def test_channels_dispatch_by_channel_and_refuse_an_unconfigured_one(
    client: httpx.AsyncClient,
) -> None:
    with http_endpoint(Scripted(200, {"id": "gw-9"})) as gateway:
        channels = Channels({Channel.sms: sms_sender(gateway.url(), client)})
        assert await channels.send(SMS) == Delivered("gw-9")
        unconfigured = await channels.send(robot_message("g"))
    assert unconfigured == Failed(Failure.permanent, "channel webhook is not configured")
    with pytest.raises(ValueError, match="does not send"):
        Channels({Channel.email: sms_sender("http://x", client)})
