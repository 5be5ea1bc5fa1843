"""E-mail over SMTP (aiosmtplib): one kept-open connection, STARTTLS or implicit TLS, credentials.

Each message carries ``Message-ID: <delivery id@domain>``, stable for a delivery, so a resend
after a crash between send and mark is the same message to a mail system that deduplicates and
is recognisable to a person or an operator. SMTP 4xx replies, timeouts and refused or dropped
connections are transient; 5xx replies and malformed addresses are permanent.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Final

import aiosmtplib

from notify.adapters.base import Outgoing
from notify.domain.model import Channel
from notify.domain.retry import Delivered, Failed, Outcome, classify_smtp, permanent, transient

_MAILBOX: Final = re.compile(r"[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+")


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send e-mail; ``starttls`` None upgrades when the server offers it."""

    host: str = "127.0.0.1"
    port: int = 1025
    sender: str = "notify@npc.localhost"
    sender_name: str = "县人大常委会代表工作平台"
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    starttls: bool | None = None
    timeout: float = 10.0
    message_id_domain: str = "notify.npc.localhost"
    validate_certs: bool = True


def build_message(settings: SmtpSettings, outgoing: Outgoing) -> EmailMessage:
    """Return the MIME message of an outgoing e-mail (UTF-8 plain text, stable Message-ID)."""
    message = EmailMessage()
    message["From"] = formataddr((settings.sender_name, settings.sender))
    message["To"] = outgoing.address
    message["Subject"] = outgoing.message.title
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = f"<{outgoing.delivery_id}@{settings.message_id_domain}>"
    message["X-Notify-Delivery"] = outgoing.delivery_id
    message.set_content(outgoing.message.body, charset="utf-8")
    return message


def _refused(exc: aiosmtplib.SMTPRecipientsRefused) -> Failed:
    codes = [r.code for r in exc.recipients] or [550]
    return Failed(classify_smtp(max(codes)), f"SMTP {max(codes)}: recipient refused")


class SmtpSender:
    """Sends e-mail over one SMTP connection, reopened when the server drops it."""

    channel = Channel.email

    def __init__(self, settings: SmtpSettings) -> None:
        self._settings = settings
        self._client: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()

    def _new_client(self) -> aiosmtplib.SMTP:
        s = self._settings
        return aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            username=s.username,
            password=s.password,
            use_tls=s.use_tls,
            start_tls=s.starttls,
            timeout=s.timeout,
            validate_certs=s.validate_certs,
        )

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is None or not self._client.is_connected:
            self._client = self._new_client()
            await self._client.connect()
        return self._client

    async def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            client.close()

    async def send(self, outgoing: Outgoing) -> Outcome:
        """Send one e-mail; a failure is classified and the connection dropped."""
        if not _MAILBOX.fullmatch(outgoing.address):
            return permanent("not an e-mail address")
        message = build_message(self._settings, outgoing)
        async with self._lock:
            try:
                client = await self._connected()  # reopened when the server hung up meanwhile
                await client.send_message(message)
            except aiosmtplib.SMTPRecipientsRefused as exc:
                await self._drop()
                return _refused(exc)
            except aiosmtplib.SMTPResponseException as exc:
                await self._drop()
                return Failed(classify_smtp(exc.code), f"SMTP {exc.code}")
            except (TimeoutError, aiosmtplib.SMTPTimeoutError):
                await self._drop()
                return transient("SMTP timeout")
            except (aiosmtplib.SMTPException, OSError) as exc:
                await self._drop()
                return transient(f"SMTP connection: {type(exc).__name__}")
        return Delivered(message["Message-ID"])

    async def close(self) -> None:
        """Say QUIT and close the connection."""
        async with self._lock:
            client, self._client = self._client, None
            if client is not None and client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
