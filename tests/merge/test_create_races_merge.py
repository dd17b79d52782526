"""Records created for a patient while it is merged away end at the survivor, on every store.

A create of a record naming the retired patient that commits after the merge searched
for its referrers is not among the resources the merge moved: it must still end
pointing at the survivor, whichever of the two commits first. The racers (a
``Patient/$merge`` and several creates, REST and transaction) are released together,
round after round with fresh patients.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import httpx
import pytest

from tests.merge.race import (
    ER7,
    FHIR_JSON,
    mentions,
    merge_parameters,
    patient_id,
    records_of,
    registration,
)
from tests.released_together import released_together

pytestmark = pytest.mark.anyio

ROUNDS = 8
CREATES = 6


async def _patients(client: httpx.AsyncClient, tag: str) -> tuple[str, str]:
    retired, survivor = f"{tag}-old", f"{tag}-new"
    for patient in (retired, survivor):
        answer = await client.put(
            f"/fhir/Patient/{patient}", json={"resourceType": "Patient", "id": patient}
        )
        assert answer.status_code == 201, answer.text
    return retired, survivor


async def _create(client: httpx.AsyncClient, record: dict[str, Any]) -> httpx.Response:
    return await client.post(f"/fhir/{record['resourceType']}", json=record, headers=FHIR_JSON)


async def _bundle(client: httpx.AsyncClient, kind: str, records: list[dict[str, Any]]) -> Any:
    """POST the records as one Bundle of ``kind``; the records it stored."""
    bundle = {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            {"request": {"method": "POST", "url": r["resourceType"]}, "resource": r}
            for r in records
        ],
    }
    answer = await client.post("/fhir", json=bundle, headers=FHIR_JSON)
    assert answer.status_code == 200, answer.text
    return [e["resource"] for e in answer.json()["entry"]]


async def _stored_records(client: httpx.AsyncClient, answers: list[httpx.Response]) -> list[Any]:
    stored = []
    for answer in answers:
        assert answer.status_code == 201, answer.text
        created = answer.json()
        read = await client.get(f"/fhir/{created['resourceType']}/{created['id']}")
        stored.append(read.json())
    return stored


async def _reread(client: httpx.AsyncClient, records: list[Any]) -> list[Any]:
    return [(await client.get(f"/fhir/{r['resourceType']}/{r['id']}")).json() for r in records]


async def test_creates_racing_a_merge_end_at_the_survivor(
    client: httpx.AsyncClient, store_url: str
) -> None:
    # memory:// has no transactions: its Bundle is a batch.
    kind = "batch" if store_url == "memory://" else "transaction"
    stragglers = []
    for round_number in range(ROUNDS):
        retired, survivor = await _patients(client, f"cr{round_number}")
        merge = partial(
            client.post,
            "/fhir/Patient/$merge",
            json=merge_parameters(retired, survivor),
            headers=FHIR_JSON,
        )
        creates = [partial(_create, client, r) for r in records_of(retired, CREATES)]
        bundle = partial(_bundle, client, kind, records_of(retired, 3))

        merged, bundled, *answers = await released_together([merge, bundle, *creates])

        assert merged.status_code == 200, merged.text
        written = await _stored_records(client, answers)
        for record in [*written, *await _reread(client, bundled)]:
            if mentions(record, retired):
                stragglers.append((round_number, record["resourceType"], record["id"]))
            else:
                assert mentions(record, survivor), record
    assert stragglers == [], "records left at the retired patient"


def _siu(control_id: str, mrn: str, hour: int = 9) -> bytes:
    """SIU^S12 booking an appointment of the patient with ``mrn`` (assigned by NORTH) at
    ``hour`` (each its own: ingest refuses a double-booking as a client write would)."""
    return "\r".join(
        [
            f"MSH|^~\\&|LEGACY|NORTH|FHIRPORT|HOSP|20240102||SIU^S12^SIU_S12|{control_id}|P|2.5.1",
            f"SCH|{control_id}^LEGACY|||||||ROUTINE|20|min|^^^20240215{hour:02d}0000"
            "||||||||||||||Booked",
            f"PID|1||{mrn}^^^NORTH^MR||Doe^Ann||19800214|F",
            "RGS|1|A",
            f"AIS|1|A|99213^Office visit^C4|20240215{hour:02d}0000|||20|min",
        ]
    ).encode()


async def test_hl7v2_bookings_racing_a_merge_end_at_the_survivor(
    client: httpx.AsyncClient,
) -> None:
    stragglers = []
    for round_number in range(ROUNDS):
        tag = f"hl{round_number}"
        for mrn in (f"{tag}-OLD", f"{tag}-NEW"):
            answer = await client.post(
                "/fhir/$hl7v2-ingest", content=registration(mrn), headers=ER7
            )
            assert answer.status_code == 200, answer.text
        retired, survivor = patient_id(f"{tag}-OLD"), patient_id(f"{tag}-NEW")
        merge = partial(
            client.post,
            "/fhir/Patient/$merge",
            json=merge_parameters(retired, survivor),
            headers=FHIR_JSON,
        )
        bookings = [
            partial(
                client.post,
                "/fhir/$hl7v2-ingest",
                content=_siu(f"{tag}-S{n}", f"{tag}-OLD", 9 + n),
                headers=ER7,
            )
            for n in range(CREATES)
        ]

        merged, *answers = await released_together([merge, *bookings])

        assert merged.status_code == 200, merged.text
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        found = await client.get(f"/fhir/Appointment?patient={retired}&_count=100")
        stragglers.extend(e["resource"]["id"] for e in found.json().get("entry", []))
        booked = await client.get(f"/fhir/Appointment?patient={survivor}&_count=100")
        assert len(booked.json().get("entry", [])) + len(stragglers) >= CREATES
    assert stragglers == [], "appointments left at the retired patient"
