"""``Schedule/{id}/$generate-slots``: the Schedule's free Slots, made once.

Each Slot's id is derived from its Schedule, start and end, so running the operation
again, or twice at once (other processes too), makes no duplicates: a Slot is written
only as a first version (``expected_version`` 0), and one already there, or written by
a racing run meanwhile, is counted as existing. Slots already there are not changed
(a booked one stays busy).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from server.errors import Conflict, InvalidRequest
from server.interactions import ResourceService
from server.scheduling.weekly import MAX_SLOTS, SlotRequest, slot_times
from server.storage.port import Method, VersionConflict, Write
from server.versions import next_version

_BATCH = 500
_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class Generated:
    """How many Slots the call wrote, and how many of the schedule's times already had one."""

    created: int
    existing: int

    def parameters(self) -> dict[str, Any]:
        counts = {"created": self.created, "existing": self.existing}
        counts["total"] = self.created + self.existing
        return {
            "resourceType": "Parameters",
            "parameter": [{"name": k, "valueInteger": v} for k, v in counts.items()],
        }


def slot_id(schedule_id: str, start: str, end: str) -> str:
    """The id of the Slot of a schedule from ``start`` to ``end`` (instants as stored)."""
    digest = hashlib.sha256(f"{schedule_id}|{start}|{end}".encode()).hexdigest()
    return f"slot-{digest[:32]}"


async def generate_slots(
    service: ResourceService, schedule_id: str, schedule: dict[str, Any], request: SlotRequest
) -> Generated:
    """Write the Slots ``request`` describes that do not exist yet."""
    first, last = _horizon(schedule, request)
    times = []
    for low, high in slot_times(request, first, last):
        times.append((_instant(low), _instant(high)))
        if len(times) > MAX_SLOTS:
            raise InvalidRequest(
                f"The request makes more than {MAX_SLOTS} slots: ask for a shorter horizon",
                expression="Parameters.parameter",
            )
    template = _template(schedule_id, schedule, request)
    created = 0
    for offset in range(0, len(times), _BATCH):
        created += await _write_missing(
            service, schedule_id, template, times[offset : offset + _BATCH]
        )
    return Generated(created, len(times) - created)


async def _write_missing(
    service: ResourceService,
    schedule_id: str,
    template: dict[str, Any],
    times: list[tuple[str, str]],
) -> int:
    ids = {slot_id(schedule_id, start, end): (start, end) for start, end in times}
    ours = 0
    for _ in range(_ATTEMPTS):
        stored = await service.store.read_many([("Slot", i) for i in ids])
        writes = [
            _write(service, slot, {**template, "start": start, "end": end})
            for slot, (start, end) in ids.items()
            if stored[("Slot", slot)] is None
        ]
        if not writes:
            return ours
        try:
            await service.commit(writes)
        except VersionConflict:
            # A racing run wrote some of them: read again, write the rest. A store without
            # transactions may have kept some of this batch: those are counted as ours.
            ours += await _kept(service, writes)
            continue
        return ours + len(writes)
    raise Conflict("Other runs are generating these slots at the same time; retry")


async def _kept(service: ResourceService, writes: list[Write]) -> int:
    stored = await service.store.read_many([("Slot", w.version.id) for w in writes])
    return sum(
        1
        for w in writes
        if (found := stored[("Slot", w.version.id)]) is not None
        and found.last_updated == w.version.last_updated
    )


def _write(service: ResourceService, resource_id: str, body: dict[str, Any]) -> Write:
    return next_version(
        "Slot", resource_id, None, body, Method.POST, service.indexer, client_write=True
    )


def _template(schedule_id: str, schedule: dict[str, Any], request: SlotRequest) -> dict[str, Any]:
    template: dict[str, Any] = {
        "resourceType": "Slot",
        "schedule": {"reference": f"Schedule/{schedule_id}"},
        "status": "free",
    }
    service_types = list(request.service_types) or schedule.get("serviceType")
    if service_types:
        template["serviceType"] = service_types
    if schedule.get("specialty"):
        template["specialty"] = schedule["specialty"]
    return template


def _horizon(schedule: dict[str, Any], request: SlotRequest) -> tuple[date, date]:
    horizon = schedule.get("planningHorizon") or {}
    first = request.first or _day(horizon.get("start"))
    last = request.last or _day(horizon.get("end"))
    if first is None or last is None:
        raise InvalidRequest(
            "start and end are needed when the Schedule has no planningHorizon",
            expression="Parameters.parameter",
        )
    if last < first:
        raise InvalidRequest("end is before start", expression="Parameters.parameter")
    return first, last


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if isinstance(value, str) else None
    except ValueError:
        return None


def _instant(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
