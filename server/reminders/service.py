"""Send the reminders of the booked Appointments starting within a window.

Per page of Appointments: the existing reminders are read by id and skipped; for the
rest the patient, location and practitioner are read at once, then each reminder is
claimed: created ``in-progress`` (the store's compare-and-swap on a new resource: another
run that created it first makes this one skip it), the page's reminders are handed to
the sender at once, and their statuses recorded in one more write.

A claim is a lease: it carries its expiry (``CLAIM_EXPIRES_URL``, ``lease_s`` after it
was made; a claim without one expires ``lease_s`` after it was written). A reminder
still in progress after that was claimed by a run that died before recording it (the
server killed): the next run claims it again (compare-and-swap on the claim it read, so
one run wins) and sends it; while the claim is live it is skipped, never sent twice.
A run that died after delivering but before recording sends it again once the lease
ran out: delivery is at least once. The lease must outlast a page's delivery (the
senders time out well within the default).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from server.fhir.clock import fhir_instant, now_us, parse_instant
from server.reminders.contact import preferred_contact
from server.reminders.message import Reminder, actors, communication, compose, reminder_id
from server.reminders.senders import Sender
from server.scheduling.appointment import extension_value
from server.search.engine import SearchEngine
from server.search.query import SearchQuery
from server.storage.port import Method, Store, StoredVersion, VersionConflict, Write
from server.versions import Indexer, next_version

log = logging.getLogger("fhirport.reminders")

_PAGE = 500
CLAIM_EXPIRES_URL = "https://fhirport.dev/fhir/StructureDefinition/reminder-claim-expires"
DEFAULT_LEASE_S = 600.0
# What a reminder names: who is reminded, where, and by whom they are seen.
_NAMED = frozenset({"Patient", "Location", "Practitioner"})


@dataclass(frozen=True, slots=True)
class Tally:
    """What one run did: reminders created, claimed again after a dead run's lease ran out,
    delivered, not delivered, already there (or claimed by a live run)."""

    created: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    retried: int = 0

    def parameters(self) -> dict[str, Any]:
        """The answer of ``$send-reminders``: a Parameters of the counts."""
        return {
            "resourceType": "Parameters",
            "parameter": [
                {"name": name, "valueInteger": getattr(self, name)}
                for name in ("created", "sent", "failed", "skipped", "retried")
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
        self,
        store: Store,
        indexer: Indexer,
        search: SearchEngine,
        sender: Sender,
        *,
        lease_s: float = DEFAULT_LEASE_S,
        clock: Callable[[], int] = now_us,
    ) -> None:
        self.store = store
        self.indexer = indexer
        self.search = search
        self.sender = sender
        self.lease_us = int(lease_s * 1_000_000)
        self.clock = clock

    async def run(self, within_s: float) -> Tally:
        """Remind of every booked Appointment starting from now to ``within_s`` seconds on."""
        start = self.clock()
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
        now = self.clock()
        todo = [
            (a, actors(a))
            for a, key in zip(appointments, ids, strict=True)
            if (current := existing.get(key)) is None or self._abandoned(current, now)
        ]
        named = {ref for _, refs in todo for kind, ref in refs.items() if kind in _NAMED}
        keys = sorted((t, i) for t, i in (r.split("/", 1) for r in named))
        found = {f"{t}/{i}": _body(v) for (t, i), v in (await self.store.read_many(keys)).items()}
        reminders = [r for a, refs in todo if (r := self._compose(a, refs, found)) is not None]
        claims = [
            self._claim(r, existing.get(("Communication", r.communication_id)), now)
            for r in reminders
        ]
        claimed = await self._write_all(claims)
        mine = [r for r in reminders if r.communication_id in claimed]
        retried = sum(1 for r in mine if claimed[r.communication_id].version > 1)
        reachable = [r for r in mine if r.to is not None]
        failures = await self.sender.send(reachable) if reachable else {}
        settled = [self._settle(claimed[r.communication_id], r, failures) for r in mine]
        await self._write_all([write for write, _ in settled])
        done: Counter[str] = Counter(
            skipped=len(appointments) - len(mine), created=len(mine) - retried, retried=retried
        )
        done.update(outcome for _, outcome in settled)
        return done

    def _abandoned(self, current: StoredVersion, now: int) -> bool:
        """Whether the reminder is a claim whose lease ran out (its run died)."""
        if current.body is None or b'"in-progress"' not in current.body:
            return False  # the common case, told without parsing: sent, or given up
        body = _body(current)
        if body is None or body.get("status") != "in-progress":
            return False
        expires = extension_value(body, CLAIM_EXPIRES_URL, "Instant")
        try:
            until = parse_instant(expires) if isinstance(expires, str) else None
        except ValueError:
            until = None
        return (until if until is not None else current.last_updated + self.lease_us) <= now

    def _claim(self, reminder: Reminder, current: StoredVersion | None, now: int) -> Write:
        """The reminder's Communication, in progress under this run's lease; it replaces an
        abandoned claim (``current``) only if that is still the latest version."""
        body = communication(reminder)
        lease = {"url": CLAIM_EXPIRES_URL, "valueInstant": fhir_instant(now + self.lease_us)}
        body["extension"] = [*body.get("extension", ()), lease]
        method = Method.POST if current is None else Method.PUT
        return next_version(
            "Communication", reminder.communication_id, current, body, method, self.indexer
        )

    def _compose(
        self, appointment: dict[str, Any], named: dict[str, str], found: dict[str, Any]
    ) -> Reminder | None:
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

    async def _write_all(self, writes: list[Write]) -> dict[str, StoredVersion]:
        """Store the writes, at once if none conflicts; the versions stored, by id.

        After a conflict (another run made some of the same reminders) each is written
        alone: one that conflicts is another writer's, unless the store holds exactly
        its bytes (a store without transactions may have kept part of the batch).
        """
        if not writes:
            return {}
        try:
            await self.store.write(writes)
            return {w.version.id: w.version for w in writes}
        except VersionConflict:
            pass
        stored: dict[str, StoredVersion] = {}
        for write in writes:
            version = write.version
            try:
                await self.store.write([write])
            except VersionConflict:
                current = await self.store.read(version.resource_type, version.id)
                if current is None or current.body != version.body:
                    continue
            stored[version.id] = version
        return stored

    def _settle(
        self, created: StoredVersion, reminder: Reminder, failures: dict[str, str]
    ) -> tuple[Write, str]:
        """The reminder's Communication with the outcome of its delivery (sent or failed)."""
        body: dict[str, Any] = orjson.loads(created.body or b"{}")
        kept = [e for e in body.get("extension", ()) if e.get("url") != CLAIM_EXPIRES_URL]
        if kept:
            body["extension"] = kept
        else:
            body.pop("extension", None)
        if reminder.to is None:
            systems = ", ".join(sorted(self.sender.systems))
            body["status"] = "not-done"
            body["statusReason"] = {"text": f"The patient has no contact point ({systems}) in use"}
        elif (reason := failures.get(reminder.communication_id)) is not None:
            body["status"] = "stopped"
            body["statusReason"] = {"text": reason}
        else:
            body["status"] = "completed"
            body["sent"] = fhir_instant(now_us())
        write = next_version("Communication", created.id, created, body, Method.PUT, self.indexer)
        return write, "sent" if body["status"] == "completed" else "failed"
