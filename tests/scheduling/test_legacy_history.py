"""HL7v2 SIU ingest records a legacy system's double-bookings as they happened."""

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


async def test_ingested_double_bookings_are_stored_and_then_block_client_bookings(
    client: httpx.AsyncClient,
) -> None:
    body = BOOKING.rstrip(b"\r") + b"\r" + second_patient_same_slot()

    ingested = await client.post("/fhir/$hl7v2-ingest", content=body, headers=ER7)

    statuses = [e["response"]["status"] for e in ingested.json()["entry"]]
    assert statuses == ["200 OK", "200 OK"], ingested.text
    found = await client.get("/fhir/Appointment", params={"date": "2024-02-15"})
    appointments = [e["resource"] for e in found.json()["entry"]]
    assert len(appointments) == 2
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
