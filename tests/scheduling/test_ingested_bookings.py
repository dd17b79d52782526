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
from tests.released_together import released_together
from tests.scheduling.booking import make_appointment, put_participant
from tests.scheduling.slots import generate, make_schedule_of, slots_of, weekly

pytestmark = pytest.mark.anyio

# The practitioner and patient the SIU messages below name, as ingest identifies them.
DR = "Practitioner/prac-c32602cd396003d4e1ae08cf"
ANN = "Patient/ann"
START, END = "2030-02-14T09:00:00-06:00", "2030-02-14T09:20:00-06:00"
PLACER = "urn:fhirport:id:sched|APT-7001"


def siu(
    event: str, control_id: str, status: str = "Booked", *, placer: str = "7001", hour: int = 9
) -> bytes:
    """An SIU message of appointment APT-{placer} with DR on 2030-02-14 at {hour}:00-:20
    (-06:00), sent after any REST write of the test (MSH-7 in 2031: not stale)."""
    start, end = f"20300214{hour:02d}0000-0600", f"20300214{hour:02d}2000-0600"
    return "\r".join(
        (
            "MSH|^~\\&|SCHED|GOODHEALTH|FHIRPORT|GOODHEALTH|20310101101500-0600||"
            f"SIU^{event}^SIU_S12|{control_id}|P|2.5.1",
            f"SCH|APT-{placer}^SCHED|F-9001^CLINIC|||||FOLLOWUP^Follow-up^HL70276|"
            f"ROUTINE^Routine^HL70277|20|min|^^^{start}^{end}"
            f"||||||||||||||{status}",
            "PID|1||MRN-1001^^^GOODHEALTH^MR||GARCIA^MARIA||19750614|F",
            "RGS|1|A",
            f"AIP|1|A|4455^WELBY^MARCUS^^^DR^^^GOODHEALTH|ATT^Attending^HL70443||{start}|||20|min",
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


async def test_an_siu_booking_racing_a_rest_booking_of_the_same_time_one_wins(
    office: Office,
) -> None:
    for round_number in range(6):
        hour = 10 + round_number
        start, end = f"2030-02-14T{hour:02d}:00:00-06:00", f"2030-02-14T{hour:02d}:20:00-06:00"
        rest = make_appointment(start, end, DR, ANN)
        message = siu("S12", f"RACE-{hour}", placer=f"72{hour:02d}", hour=hour)

        async def by_rest(body: dict[str, Any] = rest) -> bool:
            answer = await office.client.post("/fhir/Appointment", json=body)
            assert answer.status_code in (201, 409), answer.text
            return answer.status_code == 201

        async def by_hl7v2(data: bytes = message) -> bool:
            ack = (await office.ingestor.ingest(data)).ack.decode()
            assert "MSA|AA" in ack or "MSA|AE" in ack, ack
            return "MSA|AA" in ack

        won = await released_together([by_rest, by_hl7v2])

        assert sum(won) == 1, (hour, won)
