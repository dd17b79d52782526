"""How reminders are delivered: a Sender per ``--reminder-sender`` kind.

- ``file:DIR``: one JSON document per reminder in DIR (another program delivers them);
- ``webhook:URL``: each reminder POSTed as JSON to URL (a 2xx answer is delivery);
- ``smtp://HOST:PORT[?from=ADDRESS]``: an email per reminder, to the patient's address.
"""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson

from server.reminders.message import Reminder

ANY_CONTACT = frozenset({"email", "sms", "phone"})
_TIMEOUT_S = 10.0


class DeliveryFailed(Exception):
    """The sender could not deliver a reminder; ``str`` says why (statusReason)."""


class Sender(Protocol):
    """Delivers reminders to contact points of ``systems``."""

    @property
    def systems(self) -> frozenset[str]: ...

    async def send(self, reminder: Reminder) -> None:
        """Deliver ``reminder``, or raise DeliveryFailed."""

    async def aclose(self) -> None: ...


class FileSender:
    """Writes each reminder as ``<communication id>.json`` in a folder."""

    systems = ANY_CONTACT

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, reminder: Reminder) -> None:
        try:
            await asyncio.to_thread(self._write, reminder)
        except OSError as exc:
            raise DeliveryFailed(f"The reminder file could not be written: {exc.strerror}") from exc

    def _write(self, reminder: Reminder) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / f"{reminder.communication_id}.json"
        partial = final.with_suffix(".part")
        partial.write_bytes(orjson.dumps(reminder.to_json()))
        partial.replace(final)  # a reader never sees half a message

    async def aclose(self) -> None:
        return None


class WebhookSender:
    """POSTs each reminder as JSON to a URL."""

    systems = ANY_CONTACT

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = httpx.AsyncClient(timeout=_TIMEOUT_S)

    async def send(self, reminder: Reminder) -> None:
        try:
            response = await self.client.post(self.url, json=reminder.to_json())
        except httpx.HTTPError as exc:
            raise DeliveryFailed(
                f"The webhook could not be reached ({type(exc).__name__})"
            ) from exc
        if not response.is_success:
            raise DeliveryFailed(f"The webhook answered {response.status_code}")

    async def aclose(self) -> None:
        await self.client.aclose()


class SmtpSender:
    """Sends each reminder as an email through an SMTP relay (smtplib, off the event loop)."""

    systems = frozenset({"email"})

    def __init__(self, host: str, port: int, sender: str) -> None:
        self.host, self.port, self.sender = host, port, sender

    async def send(self, reminder: Reminder) -> None:
        if reminder.to is None:
            raise DeliveryFailed("No email address to send to")
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = reminder.to["value"]
        message["Subject"] = reminder.subject
        message.set_content(reminder.text)
        try:
            await asyncio.to_thread(self._deliver, message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(
                f"The SMTP relay refused or failed ({type(exc).__name__})"
            ) from exc

    def _deliver(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=_TIMEOUT_S) as relay:
            relay.send_message(message)

    async def aclose(self) -> None:
        return None


def sender_from_setting(value: str) -> Sender:
    """The sender ``--reminder-sender`` names; ValueError when it names none."""
    kind, _, rest = value.partition(":")
    if kind == "file" and rest:
        return FileSender(Path(rest))
    if kind == "webhook" and urlsplit(rest).scheme in ("http", "https") and urlsplit(rest).netloc:
        return WebhookSender(rest)
    if kind == "smtp":
        parts = urlsplit(value)
        try:
            port = parts.port or 25
        except ValueError:
            port = -1
        if parts.hostname and 0 < port < 65536:
            sender = parse_qs(parts.query).get("from", ["reminders@localhost"])[0]
            return SmtpSender(parts.hostname, port, sender)
    raise ValueError(
        f"{value!r} names no reminder sender: give file:DIR, webhook:URL or smtp://HOST:PORT"
    )
