"""How reminders are delivered: a Sender per ``--reminder-sender`` kind.

- ``file:DIR``: one JSON document per reminder in DIR (another program delivers them);
- ``webhook:URL``: each reminder POSTed as JSON to URL (a 2xx answer is delivery);
- ``smtp://HOST:PORT[?from=ADDRESS]``: an email per reminder, to the patient's address.
"""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Awaitable, Callable, Sequence
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
    """Delivers reminders to contact points of ``systems``, a batch at a time."""

    @property
    def systems(self) -> frozenset[str]: ...

    async def send(self, reminders: Sequence[Reminder]) -> dict[str, str]:
        """Deliver each reminder; answer why, for each one not delivered (by its id)."""
        ...

    async def aclose(self) -> None: ...


async def _each(
    reminders: Sequence[Reminder], deliver: Callable[[Reminder], Awaitable[None]]
) -> dict[str, str]:
    """Deliver the reminders one by one, at once; the reasons of the failures."""
    outcomes = await asyncio.gather(*(deliver(r) for r in reminders), return_exceptions=True)
    failed: dict[str, str] = {}
    for reminder, outcome in zip(reminders, outcomes, strict=True):
        if isinstance(outcome, DeliveryFailed):
            failed[reminder.communication_id] = str(outcome)
        elif isinstance(outcome, BaseException):
            raise outcome
    return failed


class FileSender:
    """Writes each reminder as ``<communication id>.json`` in a folder."""

    systems = ANY_CONTACT

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, reminders: Sequence[Reminder]) -> dict[str, str]:
        return await asyncio.to_thread(self._write_all, reminders)

    def _write_all(self, reminders: Sequence[Reminder]) -> dict[str, str]:
        failed: dict[str, str] = {}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = f"The reminder folder could not be made: {exc.strerror}"
            return {r.communication_id: reason for r in reminders}
        for reminder in reminders:
            final = self.folder / f"{reminder.communication_id}.json"
            partial = final.with_suffix(".part")
            try:
                partial.write_bytes(orjson.dumps(reminder.to_json()))
                partial.replace(final)  # a reader never sees half a message
            except OSError as exc:
                failed[reminder.communication_id] = (
                    f"The reminder file could not be written: {exc.strerror}"
                )
        return failed

    async def aclose(self) -> None:
        return None


class WebhookSender:
    """POSTs each reminder as JSON to a URL."""

    systems = ANY_CONTACT

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = httpx.AsyncClient(timeout=_TIMEOUT_S)

    async def send(self, reminders: Sequence[Reminder]) -> dict[str, str]:
        return await _each(reminders, self._post)

    async def _post(self, reminder: Reminder) -> None:
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

    async def send(self, reminders: Sequence[Reminder]) -> dict[str, str]:
        return await asyncio.to_thread(self._deliver_all, reminders)

    def _message(self, reminder: Reminder) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = (reminder.to or {}).get("value", "")
        message["Subject"] = reminder.subject
        message.set_content(reminder.text)
        return message

    def _deliver_all(self, reminders: Sequence[Reminder]) -> dict[str, str]:
        """One connection for the batch; a message the relay refuses fails alone."""
        failed: dict[str, str] = {}
        delivered: set[str] = set()
        try:
            with smtplib.SMTP(self.host, self.port, timeout=_TIMEOUT_S) as relay:
                for reminder in reminders:
                    try:
                        relay.send_message(self._message(reminder))
                        delivered.add(reminder.communication_id)
                    except smtplib.SMTPRecipientsRefused:
                        failed[reminder.communication_id] = "The SMTP relay refused the address"
        except (smtplib.SMTPException, OSError) as exc:
            reason = f"The SMTP relay refused or failed ({type(exc).__name__})"
            for reminder in reminders:
                if reminder.communication_id not in delivered:
                    failed.setdefault(reminder.communication_id, reason)
        return failed

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
