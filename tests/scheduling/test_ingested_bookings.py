"""HL7v2-ingested Appointments (SIU) are booked as a client's are: no double-booking (an
AE ACK with ERR instead), and their Slots made busy and freed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from server.app import create_app
from server.hl7v2.ingest.service import Ingestor
from server.settings import Settings
from tests.scheduling.booking import make_appointment, put_participant
from tests.scheduling.slots import generate, make_schedule_of, slots_of, weekly

pytestmark = pytest.mark.anyio

# The practitioner and patient the SIU messages below name, as ingest identifies them.
DR = "Practitioner/prac-c32602cd396003d4e1ae08cf"
ANN = "Patient/ann"
START, END = "2030-02-14T09:00:00-06:00", "2030-02-14T09:20:00-06:00"
PLACER = "urn:fhirport:id:sched|APT-7001"


def siu(event: str, control_id: str, status: str = "Booked") -> bytes:
    """An SIU message of appointment APT-7001 with DR on 2030-02-14 09:00-09:20 (-06:00),
    sent after any REST write of the test (MSH-7 in 2031: not stale)."""
    return "\r".join(
        (
            "MSH|^~\\&|SCHED|GOODHEALTH|FHIRPORT|GOODHEALTH|20310101101500-0600||"
            f"SIU^{event}^SIU_S12|{control_id}|P|2.5.1",
            "SCH|APT-7001^SCHED|F-9001^CLINIC|||||FOLLOWUP^Follow-up^HL70276|"
            "ROUTINE^Routine^HL70277|20|min|^^^20300214090000-0600^20300214092000-0600"
            f"||||||||||||||{status}",
            "PID|1||MRN-1001^^^GOODHEALTH^MR||GARCIA^MARIA||19750614|F",
            "RGS|1|A",
            "AIP|1|A|4455^WELBY^MARCUS^^^DR^^^GOODHEALTH|ATT^Attending^HL70443||"
            "20300214090000-0600|||20|min",
        )
    ).encode()


@dataclass
class Office:
    client: httpx.AsyncClient
    ingestor: Ingestor

    async def appointments(self) -> list[dict[str, Any]]:
        found = await self.client.get("/fhir/Appointment", params={"identifier": PLACER})
        assert found.status_code == 200, found.text
        return [e["resource"] for e in found.json().get("entry", [])]

    async def slot(self, slot_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/fhir/Slot/{slot_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
async def office(settings: Settings) -> AsyncIterator[Office]:
    """The app's REST API and its HL7v2 ingestor (what MLLP and imports run)."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            await put_participant(http, DR)
            await put_participant(http, ANN)
            yield Office(http, app.state.hl7.ingestor)


async def test_an_siu_booking_that_double_books_is_refused_ae_with_err(office: Office) -> None:
    taken = await office.client.post(
        "/fhir/Appointment", json=make_appointment(START, END, DR, ANN)
    )
    assert taken.status_code == 201, taken.text

    outcome = await office.ingestor.ingest(siu("S12", "DB-1"))

    ack = outcome.ack.decode()
    assert "MSA|AE|DB-1" in ack, ack
    err = next(s for s in ack.split("\r") if s.startswith("ERR|"))
    assert f"Appointment/{taken.json()['id']}" in err
    assert DR in err
    assert await office.appointments() == []


async def test_an_siu_booking_beside_a_free_time_is_applied_and_holds_it(office: Office) -> None:
    outcome = await office.ingestor.ingest(siu("S12", "OK-1"))

    assert "MSA|AA|OK-1" in outcome.ack.decode()
    again = await office.client.post(
        "/fhir/Appointment", json=make_appointment(START, END, DR, ANN)
    )
    assert again.status_code == 409, again.text


@pytest.mark.parametrize(("event", "status"), [("S15", "Cancelled"), ("S17", "Deleted")])
async def test_an_siu_cancellation_or_deletion_frees_the_slot(
    office: Office, event: str, status: str
) -> None:
    schedule = await make_schedule_of(
        office.client, DR, "sch-siu", horizon=("2030-02-14", "2030-02-14")
    )
    made = await generate(
        office.client,
        schedule,
        weekly((["thu"], "09:00:00", "10:00:00"), slot_minutes=20, timezone="America/Chicago"),
    )
    assert made.status_code == 200, made.text
    # 09:00 in Chicago, in UTC: the Slot that DR's SIU booking below is linked to.
    slot = next(s for s in await slots_of(office.client, schedule) if "T15:00:00" in s["start"])
    booked = await office.ingestor.ingest(siu("S12", "SL-1"))
    assert "MSA|AA" in booked.ack.decode()
    (appointment,) = await office.appointments()
    appointment["slot"] = [{"reference": f"Slot/{slot['id']}"}]
    linked = await office.client.put(f"/fhir/Appointment/{appointment['id']}", json=appointment)
    assert linked.status_code == 200, linked.text
    assert (await office.slot(slot["id"]))["status"] == "busy"

    cancelled = await office.ingestor.ingest(siu(event, "SL-2", status))

    assert "MSA|AA" in cancelled.ack.decode(), cancelled.ack
    assert (await office.slot(slot["id"]))["status"] == "free"
