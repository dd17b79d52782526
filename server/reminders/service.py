"""Send the reminders of the booked Appointments starting within a window.

Per page of Appointments: the existing reminders are read by id and skipped; for the
rest the patient, location and practitioner are read at once, then each reminder is
created (the store's compare-and-swap on a new resource: another run that created it
first makes this one skip it), handed to the sender, and its status recorded.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from server.fhir.clock import fhir_instant, now_us
from server.reminders.contact import preferred_contact
from server.reminders.message import Reminder, actors, communication, compose, reminder_id
from server.reminders.senders import DeliveryFailed, Sender
from server.search.engine import SearchEngine
from server.search.query import SearchQuery
from server.storage.port import Method, Store, StoredVersion, VersionConflict
from server.versions import Indexer, next_version

log = logging.getLogger("fhirport.reminders")

_PAGE = 500


@dataclass(frozen=True, slots=True)
class Tally:
    """What one run did: reminders created, delivered, not delivered, already there."""

    created: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0

    def parameters(self) -> dict[str, Any]:
        """The answer of ``$send-reminders``: a Parameters of the counts."""
        return {
            "resourceType": "Parameters",
            "parameter": [
                {"name": name, "valueInteger": getattr(self, name)}
                for name in ("created", "sent", "failed", "skipped")
            ],
        }


def _body(version: StoredVersion | None) -> dict[str, Any] | None:
    if version is None or version.body is None:
        return None
    loaded: dict[str, Any] = orjson.loads(version.body)
    return loaded


class Reminders:
    """Creates and sends appointment reminders on one store through one sender."""

    def __init__(
        self, store: Store, indexer: Indexer, search: SearchEngine, sender: Sender
    ) -> None:
        self.store = store
        self.indexer = indexer
        self.search = search
        self.sender = sender

    async def run(self, within_s: float) -> Tally:
        """Remind of every booked Appointment starting from now to ``within_s`` seconds on."""
        start = now_us()
        params = [
            ("status", "booked"),
            ("date", f"ge{fhir_instant(start)}"),
            ("date", f"le{fhir_instant(start + int(within_s * 1_000_000))}"),
        ]
        clauses = tuple(self.search.parse("Appointment", params, lenient=False).clauses)
        tally: Counter[str] = Counter()
        cursor: str | None = None
        while True:
            page = await self.store.search(SearchQuery("Appointment", clauses, (), _PAGE, cursor))
            tally.update(await self._page(page.versions))
            cursor = page.next_cursor
            if cursor is None:
                break
        result = Tally(**tally)
        log.info("Reminders: %s", result)
        return result

    async def _page(self, versions: Iterable[StoredVersion]) -> Counter[str]:
        appointments = [b for v in versions if (b := _body(v)) is not None]
        ids = [("Communication", reminder_id(str(a["id"]))) for a in appointments]
        existing = await self.store.read_many(ids)
        todo = [a for a, key in zip(appointments, ids, strict=True) if existing.get(key) is None]
        done: Counter[str] = Counter(skipped=len(appointments) - len(todo))
        named = {actors(a).get(t) for a in todo for t in ("Patient", "Location", "Practitioner")}
        keys = sorted((t, i) for r in named if r is not None for t, i in [r.split("/", 1)])
        found = {f"{t}/{i}": _body(v) for (t, i), v in (await self.store.read_many(keys)).items()}
        reminders = [r for a in todo if (r := self._compose(a, found)) is not None]
        outcomes = await asyncio.gather(*(self._remind(r) for r in reminders))
        for outcome in outcomes:
            done.update(outcome)
        return done

    def _compose(self, appointment: dict[str, Any], found: dict[str, Any]) -> Reminder | None:
        named = actors(appointment)
        patient_ref = named.get("Patient")
        patient = found.get(patient_ref) if patient_ref else None
        if patient_ref is None or patient is None:
            return None  # nobody to remind
        to = preferred_contact(patient, self.sender.systems)
        return compose(
            appointment,
            patient_ref.split("/", 1)[1],
            to,
            found.get(named.get("Location", "")),
            found.get(named.get("Practitioner", "")),
        )

    async def _remind(self, reminder: Reminder) -> tuple[str, ...]:
        body = communication(reminder)
        write = next_version(
            "Communication", reminder.communication_id, None, body, Method.POST, self.indexer
        )
        try:
            await self.store.write([write])
        except VersionConflict:
            return ("skipped",)  # another run created it first
        created = write.version
        if reminder.to is None:
            systems = ", ".join(sorted(self.sender.systems))
            reason = f"The patient has no contact point ({systems}) in use"
            await self._settle(created, "not-done", reason)
            return ("created", "failed")
        try:
            await self.sender.send(reminder)
        except DeliveryFailed as exc:
            await self._settle(created, "stopped", str(exc))
            return ("created", "failed")
        await self._settle(created, "completed", None)
        return ("created", "sent")

    async def _settle(self, created: StoredVersion, status: str, reason: str | None) -> None:
        """Record the outcome of delivery on the reminder's Communication."""
        body: dict[str, Any] = orjson.loads(created.body or b"{}")
        body["status"] = status
        if reason is None:
            body["sent"] = fhir_instant(now_us())
        else:
            body["statusReason"] = {"text": reason}
        write = next_version("Communication", created.id, created, body, Method.PUT, self.indexer)
        try:
            await self.store.write([write])
        except VersionConflict:
            log.warning(
                "Reminder %s changed while it was sent: its status is not recorded", created.id
            )
