"""HL7v2 SIU ingest books as a client does: a message that double-books is refused (AE)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.anyio

ER7 = {"Content-Type": "x-application/hl7-v2+er7"}
BOOKING = (
    Path(__file__).resolve().parents[1] / "mappers" / "golden" / "siu_s12_booking.hl7"
).read_bytes()


def second_patient_same_slot() -> bytes:
    """The golden booking again: another appointment id, another patient, same doctor and time."""
    return (
        BOOKING.replace(b"SCH-0001", b"SCH-0002")
        .replace(b"APT-7001", b"APT-7002")
        .replace(b"MRN-1001", b"MRN-1002")
        .replace(b"GARCIA^MARIA", b"LOPEZ^ANA")
    )


async def test_an_ingested_double_booking_is_refused_and_the_first_blocks_clients(
    client: httpx.AsyncClient,
) -> None:
    body = BOOKING.rstrip(b"\r") + b"\r" + second_patient_same_slot()

    ingested = await client.post("/fhir/$hl7v2-ingest", content=body, headers=ER7)

    # The two share a doctor and a place: they are applied one after the other, either first.
    entries = ingested.json()["entry"]
    statuses = sorted(e["response"]["status"] for e in entries)
    assert statuses == ["200 OK", "422 Unprocessable Entity"], ingested.text
    (refused_entry,) = [e for e in entries if e["response"]["status"].startswith("422")]
    refusal = refused_entry["response"]["outcome"]["issue"][0]["diagnostics"]
    assert "is already booked at that time by Appointment/" in refusal
    found = await client.get("/fhir/Appointment", params={"date": "2024-02-15"})
    appointments = [e["resource"] for e in found.json()["entry"]]
    assert len(appointments) == 1
    doctor = next(
        p["actor"]["reference"]
        for p in appointments[0]["participant"]
        if p["actor"]["reference"].startswith("Practitioner/")
    )
    patient = next(
        p["actor"]["reference"]
        for p in appointments[0]["participant"]
        if p["actor"]["reference"].startswith("Patient/")
    )
    client_booking = {
        "resourceType": "Appointment",
        "status": "booked",
        "start": "2024-02-15T15:10:00Z",
        "end": "2024-02-15T15:30:00Z",
        "participant": [
            {"actor": {"reference": doctor}, "status": "accepted"},
            {"actor": {"reference": patient}, "status": "accepted"},
        ],
    }

    refused = await client.post("/fhir/Appointment", json=client_booking)

    assert refused.status_code == 409, refused.text
