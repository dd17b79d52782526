"""The front desk through HTTP: a day's schedule grid, offers, reminders, claims to fix."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.console.signing import sign_in

pytestmark = pytest.mark.anyio

DAY = "2026-03-02"


def _appointment(
    ident: str, start: str, end: str, practitioner: str, patient: str
) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "id": ident,
        "status": "booked",
        "start": f"{DAY}T{start}:00-05:00",
        "end": f"{DAY}T{end}:00-05:00",
        "description": f"Visit {ident}",
        "participant": [
            {"actor": {"reference": patient}, "status": "accepted"},
            {"actor": {"reference": practitioner}, "status": "accepted"},
        ],
    }


async def _put(console: httpx.AsyncClient, resource: dict[str, Any]) -> None:
    answer = await console.put(f"/fhir/{resource['resourceType']}/{resource['id']}", json=resource)
    assert answer.status_code in (200, 201), answer.text


async def _day(console: httpx.AsyncClient) -> None:
    for ident in ("p1", "p2"):
        await _put(console, {"resourceType": "Patient", "id": ident, "name": [{"family": "Lee"}]})
    for ident, family in (("jones", "Jones"), ("adams", "Adams")):
        await _put(
            console,
            {
                "resourceType": "Practitioner",
                "id": ident,
                "name": [{"family": family, "given": ["Dr"]}],
            },
        )
    await _put(console, _appointment("a1", "09:00", "09:20", "Practitioner/jones", "Patient/p1"))
    await _put(console, _appointment("a2", "09:15", "09:45", "Practitioner/adams", "Patient/p2"))
    await _put(console, _appointment("a3", "11:00", "11:15", "Practitioner/jones", "Patient/p1"))


async def test_the_days_schedule_is_a_grid_per_practitioner(console: httpx.AsyncClient) -> None:
    await _day(console)
    page = await console.get("/console/front-desk", params={"date": DAY})
    assert page.status_code == 200
    assert '<th scope="col">Dr Adams</th>' in page.text
    assert '<th scope="col">Dr Jones</th>' in page.text
    nine = page.text.split('<th scope="row">09:00</th>')[1].split("</tr>")[0]
    assert "Visit a1" in nine
    assert "Visit a2" not in nine  # 09:15 is the next row
    assert "Visit a3" in page.text
    assert '<label for="date">' in page.text


async def test_one_practitioners_column(console: httpx.AsyncClient) -> None:
    await _day(console)
    page = await console.get(
        "/console/front-desk", params={"date": DAY, "practitioner": "Practitioner/adams"}
    )
    assert page.status_code == 200
    assert "Visit a2" in page.text
    assert "Visit a1" not in page.text


async def test_the_claims_a_payer_would_deny(console: httpx.AsyncClient) -> None:
    claim = {
        "resourceType": "Claim",
        "id": "c1",
        "status": "active",
        "use": "claim",
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/claim-type",
                    "code": "professional",
                }
            ]
        },
        "patient": {"reference": "Patient/p1"},
        "created": "2026-03-02",
        "provider": {"reference": "Practitioner/jones"},
        "priority": {"coding": [{"code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": "none on file"}}],
    }
    await _day(console)
    await _put(console, claim)
    page = await console.get("/console/front-desk", params={"date": DAY})
    assert 'href="/console/Claim/c1"' in page.text
    assert "No coverage on file" in page.text


async def test_a_bad_date_is_400(console: httpx.AsyncClient) -> None:
    page = await console.get("/console/front-desk", params={"date": "March"})
    assert page.status_code == 400
    assert 'role="alert"' in page.text


async def test_the_desk_needs_the_users_access(smart_console: httpx.AsyncClient) -> None:
    await sign_in(smart_console, "user/Patient.rs")
    page = await smart_console.get("/console/front-desk", params={"date": DAY})
    assert page.status_code == 403


async def test_the_waitlist_offers_are_listed(console: httpx.AsyncClient) -> None:
    await _day(console)
    offer = {
        "resourceType": "Task",
        "id": "offer1",
        "status": "requested",
        "intent": "proposal",
        "code": {
            "coding": [
                {"system": "https://fhirport.dev/CodeSystem/front-desk", "code": "waitlist-offer"}
            ]
        },
        "description": "Offer 2026-03-02T09:00 to 09:20 to the patient of Appointment/a3",
        "focus": {"reference": "Appointment/a3"},
        "for": {"reference": "Patient/p1"},
    }
    await _put(console, offer)
    page = await console.get("/console/front-desk", params={"date": DAY})
    assert 'href="/console/Task/offer1"' in page.text
    assert "Offer 2026-03-02T09:00 to 09:20" in page.text


async def test_a_crowded_day_says_it_shows_the_first_appointments(
    console: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from server.console.pages import front_desk

    monkeypatch.setattr(front_desk, "DAY_SIZE", "2")
    await _day(console)
    page = await console.get("/console/front-desk", params={"date": DAY})
    assert "The first 2 appointments of the day" in page.text
    assert "Visit a3" not in page.text
