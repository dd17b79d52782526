"""The waitlist: a cancelled booking's time offered to the earliest waitlisted patient.

An Appointment with status ``waitlist`` records a patient who wants an earlier time with
its practitioners (and, if it says so, a service type and a ``requestedPeriod``). When a
booked Appointment is cancelled, the time it frees (still to come) is offered to the
earliest such entry (by ``created``, else when it was stored) that matches and has no
open offer yet: a Task for the front desk, written in the cancellation's own batch, so the
offer exists exactly when the cancellation does. Its id is derived from the cancelled
Appointment's new version, so a retried write makes the same Task, not a second one.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from server.fhir.clock import fhir_instant, parse_instant
from server.scheduling.appointment import BUSY_STATUSES, local_reference
from server.scheduling.slot_link import SlotLink
from server.search.engine import SearchEngine
from server.search.query import SearchQuery
from server.storage.port import Method, Store, StoredVersion, Write
from server.versions import next_version

FRONT_DESK = "https://fhirport.dev/CodeSystem/front-desk"
WAITLIST_OFFER = "waitlist-offer"
_CANDIDATES = 200
_OPEN_OFFERS = 1000


def _coding(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": FRONT_DESK, "code": code, "display": display}]}


class Waitlist:
    """Builds the offer Task of a cancellation (see the module doc)."""

    def __init__(self, store: Store, search: SearchEngine, link: SlotLink) -> None:
        self.store = store
        self.search = search
        self.link = link

    async def offer(
        self,
        appointment_id: str,
        version: int,
        resource: dict[str, Any],
        previous: dict[str, Any] | None,
        freed: tuple[dict[str, Any], ...],
    ) -> list[Write]:
        """The offer Task a write of ``resource`` after ``previous`` makes (none or one)."""
        if previous is None or previous.get("status") not in BUSY_STATUSES:
            return []
        if resource.get("status") != "cancelled":
            return []
        start, end = _span(previous, freed)
        if start is None or end is None or parse_instant(start) < self.link.clock():
            return []
        practitioners = _of_type(previous, "Practitioner")
        if not practitioners:
            return []
        entry = await self._earliest(practitioners, previous, start, end)
        if entry is None:
            return []
        task = self._task(entry, practitioners[0], start, end, freed)
        digest = hashlib.sha256(f"{appointment_id}/{version}".encode()).hexdigest()[:32]
        return [
            next_version(
                "Task",
                f"wl-{digest}",
                None,
                task,
                Method.POST,
                self.link.indexer,
                client_write=True,
            )
        ]

    async def _earliest(
        self, practitioners: list[str], cancelled: dict[str, Any], start: str, end: str
    ) -> StoredVersion | None:
        entries = await self._find(
            "Appointment",
            [("status", "waitlist"), ("practitioner", ",".join(practitioners))],
            _CANDIDATES,
        )
        offered = await self._offered()
        low, high = parse_instant(start), parse_instant(end)
        matching = [
            v
            for v in entries
            if f"Appointment/{v.id}" not in offered
            and _matches(orjson.loads(v.body or b"{}"), cancelled, low, high)
        ]
        return min(matching, key=_waiting_since, default=None)

    async def _offered(self) -> set[str]:
        """The waitlist entries with an open offer."""
        tasks = await self._find(
            "Task",
            [("code", f"{FRONT_DESK}|{WAITLIST_OFFER}"), ("status", "requested")],
            _OPEN_OFFERS,
        )
        focus = (orjson.loads(t.body or b"{}").get("focus") or {} for t in tasks)
        return {f.get("reference", "") for f in focus}

    def _task(
        self,
        entry: StoredVersion,
        owner: str,
        start: str,
        end: str,
        freed: tuple[dict[str, Any], ...],
    ) -> dict[str, Any]:
        waiting = orjson.loads(entry.body or b"{}")
        patients = _of_type(waiting, "Patient")
        inputs: list[dict[str, Any]] = [
            {
                "type": _coding("offered-slot", "The freed slot offered"),
                "valueReference": {"reference": f"Slot/{slot['id']}"},
            }
            for slot in freed
            if slot.get("id")
        ]
        inputs.append(
            {
                "type": _coding("offered-period", "The freed time offered"),
                "valuePeriod": {"start": start, "end": end},
            }
        )
        task: dict[str, Any] = {
            "resourceType": "Task",
            "status": "requested",
            "intent": "proposal",
            "priority": "routine",
            "code": _coding(WAITLIST_OFFER, "Offer a freed slot to a waitlisted patient"),
            "description": f"Offer {start} to {end} to the patient of Appointment/{entry.id}",
            "focus": {"reference": f"Appointment/{entry.id}"},
            "authoredOn": fhir_instant(self.link.clock()),
            "owner": {"reference": owner},
            "input": inputs,
        }
        if patients:
            task["for"] = {"reference": patients[0]}
        return task

    async def _find(
        self, resource_type: str, params: list[tuple[str, str]], count: int
    ) -> list[StoredVersion]:
        parsed = self.search.parse(resource_type, params, lenient=False)
        page = await self.store.search(
            SearchQuery(resource_type, tuple(parsed.clauses), count=count)
        )
        return page.versions


def _span(
    previous: dict[str, Any], freed: tuple[dict[str, Any], ...]
) -> tuple[str | None, str | None]:
    if freed:
        return min(s.get("start", "") for s in freed), max(s.get("end", "") for s in freed)
    start, end = previous.get("start"), previous.get("end")
    return (start if isinstance(start, str) else None, end if isinstance(end, str) else None)


def _of_type(appointment: dict[str, Any], resource_type: str) -> list[str]:
    found = []
    for participant in appointment.get("participant") or ():
        actor = participant.get("actor") if isinstance(participant, dict) else None
        reference = local_reference(actor.get("reference") if isinstance(actor, dict) else None)
        if reference is not None and reference.startswith(f"{resource_type}/"):
            found.append(reference)
    return found


def _matches(entry: dict[str, Any], cancelled: dict[str, Any], low: int, high: int) -> bool:
    """Whether the freed time suits the waitlist entry: its service type, its period."""
    wanted = _codes(entry.get("serviceType"))
    if (
        wanted
        and _codes(cancelled.get("serviceType"))
        and not wanted & _codes(cancelled.get("serviceType"))
    ):
        return False
    for period in entry.get("requestedPeriod") or ():
        try:
            if "start" in period and parse_instant(period["start"]) > low:
                continue
            if "end" in period and parse_instant(period["end"]) < high:
                continue
        except (TypeError, ValueError):
            continue
        return True
    return not entry.get("requestedPeriod")


def _codes(concepts: Any) -> set[tuple[str, str]]:
    return {
        (str(c.get("system", "")), str(c.get("code", "")))
        for concept in concepts or ()
        for c in (concept.get("coding") or () if isinstance(concept, dict) else ())
        if isinstance(c, dict)
    }


def _waiting_since(entry: StoredVersion) -> tuple[int, int]:
    created = orjson.loads(entry.body or b"{}").get("created")
    try:
        since = parse_instant(created) if isinstance(created, str) else entry.last_updated
    except ValueError:
        since = entry.last_updated
    return since, entry.last_updated
