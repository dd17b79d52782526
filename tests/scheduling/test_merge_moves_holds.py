"""A merge (ADT^A40, ``Patient/$merge``) moves the retired patient's appointments to the
survivor with their holds: the moved appointment's minutes are held under the survivor, in
the merge's own store write, so the survivor cannot be booked again at that time, by one
booking or by two racing ones; the retired patient's keys are let go."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

import httpx
import pytest

from server.fhir.clock import parse_instant
from server.storage.port import Holds, HoldTaken, Method
from server.versions import next_version
from tests.merge.race import ER7, FHIR_JSON, a40, merge_parameters, patient_id, registration
from tests.released_together import released_together
from tests.scheduling.booking import make_appointment, put_participant

pytestmark = pytest.mark.anyio

NINE, HALF_PAST = "2031-03-04T09:00:00Z", "2031-03-04T09:30:00Z"
NINE_MINUTE = parse_instant(NINE) // 60_000_000  # the minute keys' numbering
ROUNDS = 6


def of_survivor(survivor: str, doctor: str) -> dict[str, Any]:
    return make_appointment(NINE, HALF_PAST, f"Patient/{survivor}", f"Practitioner/{doctor}")


async def merged(
    client: httpx.AsyncClient, how: str, survivor_had: str | None = None
) -> tuple[str, str, str]:
    """The retired and surviving patients' ids, and the retired one's appointment at nine
    with Practitioner/dr-a, moved by a merge done ``how``; ``survivor_had`` "booked": the
    survivor has a booking at nine with Practitioner/dr-z too, "deleted": had one, deleted
    before the merge."""
    retired, survivor = patient_id("H-OLD"), patient_id("H-NEW")
    for mrn in ("H-OLD", "H-NEW"):
        answer = await client.post("/fhir/$hl7v2-ingest", content=registration(mrn), headers=ER7)
        assert answer.status_code == 200, answer.text
    for doctor in ("dr-a", "dr-z"):
        await put_participant(client, f"Practitioner/{doctor}")
    if survivor_had is not None:
        answer = await client.post("/fhir/Appointment", json=of_survivor(survivor, "dr-z"))
        assert answer.status_code == 201, answer.text
    if survivor_had == "deleted":
        gone = await client.delete(f"/fhir/Appointment/{answer.json()['id']}")
        assert gone.status_code == 204, gone.text
    booking = make_appointment(NINE, HALF_PAST, f"Patient/{retired}", "Practitioner/dr-a")
    answer = await client.post("/fhir/Appointment", json=booking)
    assert answer.status_code == 201, answer.text
    if how == "rest":
        answer = await client.post(
            "/fhir/Patient/$merge", json=merge_parameters(retired, survivor), headers=FHIR_JSON
        )
    else:
        answer = await client.post(
            "/fhir/$hl7v2-ingest", content=a40("HOLD-1", "H-NEW", "H-OLD"), headers=ER7
        )
        assert "failed" not in answer.text, answer.text
    assert answer.status_code == 200, answer.text
    found = await client.get("/fhir/Appointment", params={"actor": "Practitioner/dr-a"})
    assert len(found.json()["entry"]) == 1, found.text
    return retired, survivor, str(found.json()["entry"][0]["resource"]["id"])


async def store_booking(client: httpx.AsyncClient, appointment_id: str, *keys: str) -> None:
    """Store an Appointment holding ``keys`` straight through the store (no booking rule)."""
    service = client.app.state.service  # type: ignore[attr-defined]
    body = {"resourceType": "Appointment", "id": appointment_id, "status": "booked"}
    write = next_version("Appointment", appointment_id, None, body, Method.PUT, service.indexer)
    await service.store.write([replace(write, holds=Holds(frozenset(keys)))])


@pytest.mark.parametrize("survivor_had", [None, "deleted"])
@pytest.mark.parametrize("how", ["rest", "hl7v2"])
async def test_the_moved_appointments_minutes_are_held_under_the_survivor(
    client: httpx.AsyncClient, how: str, survivor_had: str | None
) -> None:
    retired, survivor, moved = await merged(client, how, survivor_had)

    with pytest.raises(HoldTaken) as taken:
        await store_booking(client, "probe-survivor", f"Patient/{survivor}@{NINE_MINUTE + 10}")
    await store_booking(client, "probe-retired", f"Patient/{retired}@{NINE_MINUTE + 10}")

    assert taken.value.holder == f"Appointment/{moved}"


@pytest.mark.parametrize("how", ["rest", "hl7v2"])
async def test_the_survivor_cannot_be_booked_again_at_the_moved_time(
    client: httpx.AsyncClient, how: str
) -> None:
    _, survivor, moved = await merged(client, how)
    for doctor in ("dr-b", "dr-c", "dr-d"):
        await put_participant(client, f"Practitioner/{doctor}")

    alone = await client.post("/fhir/Appointment", json=of_survivor(survivor, "dr-d"))
    answers = [alone]
    for _ in range(ROUNDS):
        answers += await released_together(
            [
                partial(client.post, "/fhir/Appointment", json=of_survivor(survivor, doctor))
                for doctor in ("dr-b", "dr-c")
            ]
        )

    assert [a.status_code for a in answers] == [409] * (1 + 2 * ROUNDS), [a.text for a in answers]
    for answer in answers:
        assert f"Appointment/{moved}" in answer.json()["issue"][0]["diagnostics"]
    found = await client.get("/fhir/Appointment", params={"actor": f"Patient/{survivor}"})
    assert [e["resource"]["id"] for e in found.json()["entry"]] == [moved]


@pytest.mark.parametrize("how", ["rest", "hl7v2"])
async def test_duplicates_of_one_visit_merge_and_each_minute_stays_held_once(
    client: httpx.AsyncClient, how: str
) -> None:
    _, survivor, moved = await merged(client, how, "booked")
    found = await client.get("/fhir/Appointment", params={"actor": "Practitioner/dr-z"})
    own = found.json()["entry"][0]["resource"]["id"]

    with pytest.raises(HoldTaken) as survivors:
        await store_booking(client, "probe-survivor", f"Patient/{survivor}@{NINE_MINUTE + 10}")
    with pytest.raises(HoldTaken) as doctors:
        await store_booking(client, "probe-doctor", f"Practitioner/dr-a@{NINE_MINUTE + 10}")

    assert survivors.value.holder == f"Appointment/{own}"
    assert doctors.value.holder == f"Appointment/{moved}"
