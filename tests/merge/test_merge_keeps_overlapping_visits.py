"""A merge moves the retired patient's appointments as they are, overlapping or not.

Duplicate records often hold the same visit twice (registered once under each); moving
those appointments to the survivor double-books it with itself. The booking rule refuses
that to a new booking, but a merge cleans up what is already there: it must complete
(over REST ``$merge`` and HL7v2 ADT^A40 alike), not be refused.
"""

from __future__ import annotations

import httpx
import pytest

from tests.merge.race import ER7, FHIR_JSON, a40, merge_parameters, patient_id, registration

pytestmark = pytest.mark.anyio


async def _booked_at_nine(client: httpx.AsyncClient, patient: str, doctor: str) -> str:
    answer = await client.put(
        f"/fhir/Practitioner/{doctor}", json={"resourceType": "Practitioner", "id": doctor}
    )
    assert answer.status_code in (200, 201), answer.text
    appointment = {
        "resourceType": "Appointment",
        "status": "booked",
        "start": "2031-03-04T09:00:00Z",
        "end": "2031-03-04T09:30:00Z",
        "participant": [
            {"actor": {"reference": f"Patient/{patient}"}, "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{doctor}"}, "status": "accepted"},
        ],
    }
    answer = await client.post("/fhir/Appointment", json=appointment, headers=FHIR_JSON)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def _at(client: httpx.AsyncClient, appointment: str) -> list[str]:
    body = (await client.get(f"/fhir/Appointment/{appointment}")).json()
    return [p["actor"]["reference"] for p in body["participant"]]


@pytest.mark.parametrize("how", ["rest", "hl7v2"])
async def test_duplicates_booked_at_the_same_time_merge(
    client: httpx.AsyncClient, how: str
) -> None:
    retired, survivor = patient_id("M-OLD"), patient_id("M-NEW")
    for mrn in ("M-OLD", "M-NEW"):
        answer = await client.post("/fhir/$hl7v2-ingest", content=registration(mrn), headers=ER7)
        assert answer.status_code == 200, answer.text
    first = await _booked_at_nine(client, retired, "dr-a")
    second = await _booked_at_nine(client, survivor, "dr-b")

    if how == "rest":
        answer = await client.post(
            "/fhir/Patient/$merge", json=merge_parameters(retired, survivor), headers=FHIR_JSON
        )
        assert answer.status_code == 200, answer.text
    else:
        answer = await client.post(
            "/fhir/$hl7v2-ingest", content=a40("MERGE-1", "M-NEW", "M-OLD"), headers=ER7
        )
        assert answer.status_code == 200, answer.text
        assert "failed" not in answer.text, answer.text

    assert f"Patient/{survivor}" in await _at(client, first)
    assert f"Patient/{survivor}" in await _at(client, second)
