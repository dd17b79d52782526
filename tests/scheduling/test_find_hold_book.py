"""Appointment/$find, $hold and $book (Argonaut Scheduling): proposals from free Slots."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from server.settings import Settings
from tests.scheduling.slots import (
    SERVICE,
    Clock,
    clocked_client,
    with_slots,
)

pytestmark = pytest.mark.anyio

DR, DR2 = "Practitioner/dr-find", "Practitioner/dr-other"
ANN, BOB = "Patient/ann", "Patient/bob"
NOW = 1_740_990_000_000_000  # 2025-03-03T08:20:00Z, before the Monday's first slot
MINUTE = 60_000_000
WINDOW = {"start": "2025-03-03T00:00:00Z", "end": "2025-03-04T00:00:00Z"}


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Clock]]:
    """A client of an app whose scheduling clock the test holds, and DR's and DR2's slots."""
    async with clocked_client(settings, NOW) as (http, clock):
        schedules = ((DR, "sch-find"), (DR2, "sch-other"))
        await with_slots(http, (ANN, BOB), schedules, ["mon"], ("2025-03-03", "2025-03-03"))
        yield http, clock


async def find(http: httpx.AsyncClient, **params: str) -> dict[str, Any]:
    response = await http.get("/fhir/Appointment/$find", params={**WINDOW, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def proposals(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in bundle.get("entry", [])]


def parameters(appointment: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Parameters",
        "parameter": [{"name": "appt-resource", "resource": appointment}],
    }


async def operation(
    http: httpx.AsyncClient, name: str, appointment: dict[str, Any]
) -> httpx.Response:
    return await http.post(f"/fhir/Appointment/${name}", json=parameters(appointment))


def for_patient(proposal: dict[str, Any], patient: str) -> dict[str, Any]:
    """The proposal with its patient replaced by ``patient``."""
    participants = [*proposal["participant"][:1], {"actor": {"reference": patient}}]
    return {**proposal, "participant": [dict(p, status="accepted") for p in participants]}


def returned(response: httpx.Response) -> dict[str, Any]:
    """The Appointment of an operation's answer Bundle."""
    assert response.status_code == 200, response.text
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle"
    resource: dict[str, Any] = bundle["entry"][0]["resource"]
    return resource


async def test_find_proposes_free_slots_earliest_first_without_storing_them(
    app: tuple[httpx.AsyncClient, Clock],
) -> None:
    http, _ = app

    found = proposals(await find(http, practitioner=DR, patient=ANN))

    assert [p["start"] for p in found] == [
        "2025-03-03T09:00:00Z",
        "2025-03-03T09:15:00Z",
        "2025-03-03T09:30:00Z",
        "2025-03-03T09:45:00Z",
    ]
    first = found[0]
    assert first["status"] == "proposed"
    assert "id" not in first
    assert first["end"] == "2025-03-03T09:15:00Z"
    assert first["slot"][0]["reference"].startswith("Slot/")
    assert first["serviceType"] == [SERVICE]
    actors = [p["actor"]["reference"] for p in first["participant"]]
    assert actors == [DR, ANN]
    stored = await http.get("/fhir/Appointment", params={"_total": "accurate"})
    assert stored.json()["total"] == 0


async def test_find_without_a_practitioner_interleaves_every_schedule(
    app: tuple[httpx.AsyncClient, Clock],
) -> None:
    http, _ = app

    found = proposals(await find(http))

    assert len(found) == 8
    assert [p["start"] for p in found] == sorted(p["start"] for p in found)
    assert {p["participant"][0]["actor"]["reference"] for p in found} == {DR, DR2}


async def test_find_filters_by_service_type_and_window(
    app: tuple[httpx.AsyncClient, Clock],
) -> None:
    http, _ = app

    matching = await find(http, **{"service-type": "http://snomed.info/sct|11429006"})
    other = await find(http, **{"service-type": "http://snomed.info/sct|999"})
    later = await find(http, practitioner=DR, start="2025-03-03T09:30:00Z")

    assert len(proposals(matching)) == 8
    assert proposals(other) == []
    assert [p["start"] for p in proposals(later)] == [
        "2025-03-03T09:30:00Z",
        "2025-03-03T09:45:00Z",
    ]


async def test_find_pages_with_count_and_next_links(app: tuple[httpx.AsyncClient, Clock]) -> None:
    http, _ = app

    page = await find(http, practitioner=DR, _count="3")
    following = await http.get(
        next(link["url"] for link in page["link"] if link["relation"] == "next")
    )

    assert len(proposals(page)) == 3
    rest = proposals(following.json())
    assert [p["start"] for p in rest] == ["2025-03-03T09:45:00Z"]


async def test_a_booked_slot_is_not_proposed(app: tuple[httpx.AsyncClient, Clock]) -> None:
    http, _ = app
    first = proposals(await find(http, practitioner=DR, patient=ANN))[0]

    booked = returned(await operation(http, "book", first))

    assert booked["status"] == "booked"
    assert booked["id"]
    starts = [p["start"] for p in proposals(await find(http, practitioner=DR))]
    assert first["start"] not in starts
    slot = await http.get(f"/fhir/{first['slot'][0]['reference']}")
    assert slot.json()["status"] == "busy"


async def test_a_proposal_booked_meanwhile_is_a_409_naming_the_booking(
    app: tuple[httpx.AsyncClient, Clock],
) -> None:
    http, _ = app
    for_ann = proposals(await find(http, practitioner=DR, patient=ANN))[0]
    for_bob = proposals(await find(http, practitioner=DR, patient=BOB))[0]
    booked = returned(await operation(http, "book", for_ann))

    response = await operation(http, "book", for_bob)

    assert response.status_code == 409, response.text
    issue = response.json()["issue"][0]
    assert issue["code"] == "conflict"
    assert f"Appointment/{booked['id']}" in issue["diagnostics"]


async def test_a_hold_keeps_the_slot_from_find_and_from_other_holds_and_bookings(
    app: tuple[httpx.AsyncClient, Clock],
) -> None:
    http, _ = app
    proposal = proposals(await find(http, practitioner=DR, patient=ANN))[0]

    held = returned(await operation(http, "hold", proposal))

    assert held["status"] == "pending"
    slot = (await http.get(f"/fhir/{proposal['slot'][0]['reference']}")).json()
    assert slot["status"] == "busy-tentative"
    assert proposal["start"] not in [
        p["start"] for p in proposals(await find(http, practitioner=DR))
    ]
    other = for_patient(proposal, BOB)
    second_hold = await operation(http, "hold", other)
    assert second_hold.status_code == 409
    assert proposal["slot"][0]["reference"] in second_hold.json()["issue"][0]["diagnostics"]
    assert (await operation(http, "book", other)).status_code == 409

    booked = returned(await operation(http, "book", held))

    assert booked["status"] == "booked"
    slot = (await http.get(f"/fhir/{proposal['slot'][0]['reference']}")).json()
    assert slot["status"] == "busy"
    assert "extension" not in slot


async def test_a_hold_expires_after_the_configured_minutes(
    app: tuple[httpx.AsyncClient, Clock],
) -> None:
    http, clock = app
    proposal = proposals(await find(http, practitioner=DR, patient=ANN))[0]
    held = returned(await operation(http, "hold", proposal))
    clock.now += 9 * MINUTE
    assert proposal["start"] not in [
        p["start"] for p in proposals(await find(http, practitioner=DR))
    ]

    clock.now += 2 * MINUTE

    assert proposal["start"] in [p["start"] for p in proposals(await find(http, practitioner=DR))]
    for_bob = for_patient(proposal, BOB)
    bobs = returned(await operation(http, "hold", for_bob))
    late = await operation(http, "book", held)
    assert late.status_code == 409, late.text
    assert "held by another" in late.json()["issue"][0]["diagnostics"]
    assert returned(await operation(http, "book", bobs))["status"] == "booked"


@pytest.mark.parametrize(
    ("params", "expression"),
    [
        pytest.param({"start": "yesterday"}, "start", id="bad-start"),
        pytest.param({"end": "2025-03-02T00:00:00Z"}, "end", id="end-before-start"),
        pytest.param({"urgency": "whenever"}, "urgency", id="bad-urgency"),
        pytest.param({"_count": "0"}, "_count", id="bad-count"),
        pytest.param({"_page": "nonsense"}, "_page", id="bad-page"),
        pytest.param({"practitioner": "Patient/ann"}, "practitioner", id="not-a-practitioner"),
    ],
)
async def test_bad_find_parameters_are_a_400(
    app: tuple[httpx.AsyncClient, Clock], params: dict[str, str], expression: str
) -> None:
    http, _ = app

    response = await http.get("/fhir/Appointment/$find", params={**WINDOW, **params})

    assert response.status_code == 400, response.text
    assert response.json()["issue"][0]["expression"] == [expression]


@pytest.mark.parametrize("name", ["hold", "book"])
async def test_hold_and_book_need_an_appointment_with_a_slot(
    app: tuple[httpx.AsyncClient, Clock], name: str
) -> None:
    http, _ = app

    empty = await http.post(f"/fhir/Appointment/${name}", json={"resourceType": "Parameters"})
    no_slot = await operation(
        http,
        name,
        {
            "resourceType": "Appointment",
            "status": "proposed",
            "participant": [{"actor": {"reference": ANN}, "status": "accepted"}],
        },
    )

    assert empty.status_code == 400
    assert empty.json()["issue"][0]["expression"] == ["Parameters.parameter"]
    assert no_slot.status_code in {400, 422}
    assert no_slot.json()["issue"][0]["expression"] == ["Appointment.slot"]


async def test_find_takes_its_parameters_as_a_parameters_body_too(
    app: tuple[httpx.AsyncClient, Clock],
) -> None:
    http, _ = app
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "start", "valueDateTime": "2025-03-03T09:30:00Z"},
            {"name": "end", "valueDateTime": "2025-03-04T00:00:00Z"},
            {"name": "practitioner", "valueReference": {"reference": DR}},
            {"name": "_count", "valueInteger": 1},
        ],
    }

    response = await http.post("/fhir/Appointment/$find", json=body)

    assert response.status_code == 200, response.text
    assert [p["start"] for p in proposals(response.json())] == ["2025-03-03T09:30:00Z"]


async def test_slots_of_an_inactive_schedule_are_not_proposed(
    app: tuple[httpx.AsyncClient, Clock],
) -> None:
    http, _ = app
    other = (await http.get("/fhir/Schedule/sch-other")).json()
    other["active"] = False
    assert (await http.put("/fhir/Schedule/sch-other", json=other)).status_code == 200

    found = proposals(await find(http))

    assert {p["participant"][0]["actor"]["reference"] for p in found} == {DR}
    assert len(found) == 4
