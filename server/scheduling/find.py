"""``Appointment/$find`` (Argonaut Scheduling): proposed Appointments from free Slots.

The Schedules that match (``practitioner``, ``location``, ``service-type``,
``specialty``) name the Slots to look at; the Slots free in ``[start, end)`` (or held by
a $hold that ran out) are searched by schedule, start and status on the store's indexes,
earliest first, a page of ``_count`` at a time (the store's cursor in ``next`` links).
Each becomes an Appointment with status ``proposed``, the Slot's times, service type and
specialty, the Schedule's actors and the ``patient``: nothing is stored. ``urgency=urgent``
adds squeeze-ins (server.scheduling.urgent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from server.errors import InvalidRequest, Issue
from server.fhir.clock import fhir_instant, parse_instant
from server.scheduling.appointment import BUSY_STATUSES, booking_of, local_reference
from server.scheduling.free_slots import free_slots
from server.scheduling.office_day import zone_warnings
from server.scheduling.slot_link import Clock
from server.scheduling.urgent import SqueezeIns, overbook_proposal, slot_schedule
from server.search.engine import SearchEngine
from server.search.query import SearchQuery
from server.storage.port import InvalidCursor, SearchPage, Store

DAY_US = 24 * 3600 * 1_000_000
DEFAULT_DAYS = 14
MAX_DAYS = 92
DEFAULT_COUNT = 20
MAX_COUNT = 500
MAX_SCHEDULES = 1000
PROPOSAL_KIND_URL = "https://fhirport.dev/fhir/StructureDefinition/proposal-kind"
_REFERENCE_PARAMS = {"practitioner": "Practitioner", "location": "Location", "patient": "Patient"}


@dataclass(frozen=True, slots=True)
class FindRequest:
    """What $find was asked, checked."""

    start: int
    end: int
    actors: tuple[str, ...] = ()
    service_type: str | None = None
    specialty: str | None = None
    patient: str | None = None
    urgent: bool = False
    count: int = DEFAULT_COUNT
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class Found:
    """A page of proposals and the cursor of the next one."""

    proposals: list[dict[str, Any]] = field(default_factory=list)
    next_cursor: str | None = None
    warnings: list[Issue] = field(default_factory=list)  # Schedules read as UTC's


def read_find(params: Sequence[tuple[str, str]], now: int) -> FindRequest:
    """The request in $find's parameters (query or Parameters); 400 naming a bad one."""
    given: dict[str, list[str]] = {}
    for name, value in params:
        given.setdefault(name, []).append(value)
    start = _instant(given, "start", now)
    end = _instant(given, "end", start + DEFAULT_DAYS * DAY_US)
    if end <= start:
        raise InvalidRequest("end must be after start", expression="end")
    if end - start > MAX_DAYS * DAY_US:
        raise InvalidRequest(f"$find looks at most {MAX_DAYS} days ahead", expression="end")
    actors = tuple(
        reference
        for name in ("practitioner", "location")
        for value in given.get(name, ())
        for reference in _references(name, value)
    )
    patients = [r for v in given.get("patient", ()) for r in _references("patient", v)]
    urgency = _one(given, "urgency") or "routine"
    if urgency not in {"routine", "urgent"}:
        raise InvalidRequest("urgency is routine or urgent", expression="urgency")
    count_text = _one(given, "_count") or str(DEFAULT_COUNT)
    if not count_text.isdigit() or not 1 <= int(count_text) <= MAX_COUNT:
        raise InvalidRequest(f"_count is a number from 1 to {MAX_COUNT}", expression="_count")
    return FindRequest(
        start,
        end,
        actors,
        _one(given, "service-type"),
        _one(given, "specialty"),
        patients[0] if patients else None,
        urgency == "urgent",
        int(count_text),
        _one(given, "_page"),
    )


class Finder:
    """Answers $find from the store (see the module doc); ``clock`` tells holds' expiry."""

    def __init__(self, store: Store, search: SearchEngine, clock: Clock) -> None:
        self.store = store
        self.search = search
        self.clock = clock

    async def find(self, request: FindRequest) -> Found:
        schedules = await self.schedules(request)
        if schedules is not None and not schedules:
            return Found()
        now = self.clock()
        page = await free_slots(
            self.store,
            self.search,
            (request.start, request.end),
            set(schedules) if schedules is not None else None,
            request.count,
            request.cursor,
            now,
        )
        slots = page.slots
        known = schedules or await self._schedules_of(slots)
        taken = await self._patient_busy(request) if request.patient else []
        warnings: list[Issue] = []
        if request.urgent and request.cursor is None:
            slots, kinds, known = await self._urgent(request, schedules, known, slots, now)
            warnings = zone_warnings(sorted(known.items()))
        else:
            kinds = {}
        proposals = [
            _proposed(slot, known, request.patient, kinds.get(id(slot), "free"))
            for slot in slots
            if not any(_overlaps(slot, t) for t in taken)
            and known.get(slot_schedule(slot), {}).get("active") is not False
        ]
        proposals.sort(key=lambda p: str(p.get("start")))
        return Found(proposals, page.cursor, warnings)

    async def _urgent(
        self,
        request: FindRequest,
        schedules: dict[str, dict[str, Any]] | None,
        known: dict[str, dict[str, Any]],
        slots: list[dict[str, Any]],
        now: int,
    ) -> tuple[list[dict[str, Any]], dict[int, str], dict[str, dict[str, Any]]]:
        """The slots with the squeeze-ins added, each one's kind, and their Schedules."""
        squeeze = SqueezeIns(self.store, self.search)
        kinds: dict[int, str] = {}
        by_id = {s.get("id"): s for s in slots}
        for freed in await squeeze.freed_today(schedules, now):
            slot = by_id.get(freed.get("id"))
            if slot is None:
                slots.append(freed)
                slot = freed
            kinds[id(slot)] = "freed-today"
        known = {
            **known,
            **await self._schedules_of([s for s in slots if slot_schedule(s) not in known]),
        }
        for first, schedule_id in await squeeze.overbooks(
            schedules if schedules is not None else known, request.start, request.end, now
        ):
            squeezed = {k: v for k, v in first.items() if k != "id"}
            squeezed["schedule"] = {"reference": f"Schedule/{schedule_id}"}
            slots.append(squeezed)
            kinds[id(squeezed)] = "overbook"
        if schedules is not None:
            known = {**known, **schedules}
        return slots, kinds, known

    async def schedules(self, request: FindRequest) -> dict[str, dict[str, Any]] | None:
        """The active Schedules the request narrows to, by id; None when it names none."""
        params: list[tuple[str, str]] = []
        if request.actors:
            params.append(("actor", ",".join(request.actors)))
        if request.service_type:
            params.append(("service-type", request.service_type))
        if request.specialty:
            params.append(("specialty", request.specialty))
        if not params:
            return None
        page = await self._page("Schedule", params, MAX_SCHEDULES, None)
        found = {v.id: orjson.loads(v.body or b"{}") for v in page.versions}
        return {i: s for i, s in found.items() if s.get("active") is not False}

    async def _schedules_of(self, slots: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        ids = {i for i in (slot_schedule(s) for s in slots) if i}
        stored = await self.store.read_many([("Schedule", i) for i in ids])
        return {k[1]: orjson.loads(v.body) for k, v in stored.items() if v and v.body}

    async def _patient_busy(self, request: FindRequest) -> list[tuple[int, int]]:
        params = [
            ("patient", request.patient or ""),
            ("date", f"ge{fhir_instant(request.start - DAY_US)}"),
            ("date", f"lt{fhir_instant(request.end)}"),
            ("status", ",".join(sorted(BUSY_STATUSES))),
        ]
        page = await self._page("Appointment", params, MAX_SCHEDULES, None)
        bookings = (booking_of(orjson.loads(v.body or b"{}")) for v in page.versions)
        return [(b.start, b.end) for b in bookings if b is not None]

    async def _page(
        self, resource_type: str, params: list[tuple[str, str]], count: int, cursor: str | None
    ) -> SearchPage:
        parsed = self.search.parse(resource_type, params, lenient=False)
        query = SearchQuery(resource_type, tuple(parsed.clauses), tuple(parsed.sort), count, cursor)
        try:
            return await self.store.search(query)
        except InvalidCursor:
            raise InvalidRequest(
                "_page is not a cursor of this server", expression="_page"
            ) from None


def proposal(
    slot: dict[str, Any], schedule: dict[str, Any], patient: str | None, kind: str = "free"
) -> dict[str, Any]:
    """The proposed Appointment of a Slot of ``schedule``, for ``patient``."""
    participants = [
        {"actor": {"reference": ref}, "required": "required", "status": "needs-action"}
        for ref in _actors(schedule)
    ]
    if patient is not None:
        participants.append(
            {"actor": {"reference": patient}, "required": "required", "status": "needs-action"}
        )
    appointment: dict[str, Any] = {
        "resourceType": "Appointment",
        "extension": [{"url": PROPOSAL_KIND_URL, "valueCode": kind}],
        "status": "proposed",
        "start": slot.get("start"),
        "end": slot.get("end"),
        "participant": participants,
    }
    if slot.get("id"):
        appointment["slot"] = [{"reference": f"Slot/{slot['id']}"}]
    for element in ("serviceCategory", "serviceType", "specialty", "appointmentType"):
        value = slot.get(element) or schedule.get(element)
        if value:
            appointment[element] = value
    return appointment


def _proposed(
    slot: dict[str, Any], known: dict[str, dict[str, Any]], patient: str | None, kind: str
) -> dict[str, Any]:
    made = proposal(slot, known.get(slot_schedule(slot), {}), patient, kind)
    return overbook_proposal(made) if kind == "overbook" else made


def _actors(schedule: dict[str, Any]) -> list[str]:
    found = (
        local_reference(a.get("reference"))
        for a in schedule.get("actor") or ()
        if isinstance(a, dict)
    )
    return [r for r in found if r is not None]


def _overlaps(slot: dict[str, Any], taken: tuple[int, int]) -> bool:
    try:
        low, high = parse_instant(slot["start"]), parse_instant(slot["end"])
    except (KeyError, TypeError, ValueError):
        return False
    return low < taken[1] and taken[0] < high


def _one(given: dict[str, list[str]], name: str) -> str | None:
    values = given.get(name) or []
    if len(values) > 1:
        raise InvalidRequest(f"{name} is given more than once", expression=name)
    return values[0] if values else None


def _instant(given: dict[str, list[str]], name: str, default: int) -> int:
    text = _one(given, name)
    if text is None:
        return default
    try:
        if len(text) < 10:
            raise ValueError(text)
        return parse_instant(text)
    except ValueError:
        raise InvalidRequest(
            f"{name} is a date or dateTime, not {text!r}", expression=name
        ) from None


def _references(name: str, value: str) -> list[str]:
    expected = _REFERENCE_PARAMS[name]
    found = []
    for item in value.split(","):
        reference = item if "/" in item else f"{expected}/{item}"
        if local_reference(reference) is None or not reference.startswith(f"{expected}/"):
            raise InvalidRequest(f"{name} is a {expected} reference, not {item!r}", expression=name)
        found.append(reference)
    return found
