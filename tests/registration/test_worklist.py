"""$registration-worklist: the day's patients whose registration fails, with their issues."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.registration.world import (
    check_codes,
    make_consent,
    make_coverage,
    make_patient,
    put,
    register,
)
from tests.scheduling.booking import make_appointment

pytestmark = pytest.mark.anyio

DAY = "2026-12-14"


def seen(
    appointment_id: str, patient_id: str, start: str, status: str = "booked"
) -> dict[str, Any]:
    end = start.replace(":00:00", ":30:00")
    appointment = make_appointment(start, end, f"Patient/{patient_id}", status=status)
    return {**appointment, "id": appointment_id}


def listed(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The worklist's patients: reference -> {"appointments": [...], "codes": [...]}."""
    found = {}
    for parameter in answer["parameter"]:
        if parameter["name"] != "patient":
            continue
        parts = parameter["part"]
        [who] = [p["valueReference"]["reference"] for p in parts if p["name"] == "patient"]
        [issues] = [p["resource"] for p in parts if p["name"] == "issues"]
        found[who] = {
            "appointments": [
                p["valueReference"]["reference"] for p in parts if p["name"] == "appointment"
            ],
            "codes": check_codes(issues),
        }
    return found


async def test_the_days_failing_registrations_are_listed(client: httpx.AsyncClient) -> None:
    await register(client, make_patient("ok"), make_coverage("ok"), make_consent("ok"))
    no_phone = make_patient("no-phone")
    no_phone.pop("telecom")
    await register(client, no_phone, make_coverage("no-phone"), make_consent("no-phone"))
    await register(client, make_patient("no-consent"), make_coverage("no-consent"), None)
    await register(client, make_patient("other-day"), None, None)
    await register(client, make_patient("cancelled"), None, None)
    for appointment in (
        seen("a1", "ok", f"{DAY}T09:00:00Z"),
        seen("a2", "no-phone", f"{DAY}T10:00:00Z"),
        seen("a3", "no-consent", f"{DAY}T11:00:00Z"),
        seen("a4", "no-phone", f"{DAY}T15:00:00Z"),
        seen("a5", "other-day", "2026-12-15T09:00:00Z"),
        seen("a6", "cancelled", f"{DAY}T12:00:00Z", status="cancelled"),
    ):
        await put(client, appointment)

    response = await client.get("/fhir/Patient/$registration-worklist", params={"date": DAY})

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["resourceType"] == "Parameters"
    assert {"name": "checked", "valueInteger": 3} in answer["parameter"]
    assert listed(answer) == {
        "Patient/no-phone": {
            "appointments": ["Appointment/a2", "Appointment/a4"],
            "codes": ["phone-missing"],
        },
        "Patient/no-consent": {"appointments": ["Appointment/a3"], "codes": ["consent-missing"]},
    }


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("", id="no-date"),
        pytest.param("?date=tomorrow", id="word"),
        pytest.param("?date=2026-02-30", id="no-such-day"),
    ],
)
async def test_the_worklist_needs_a_day(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/fhir/Patient/$registration-worklist{query}")

    assert response.status_code == 400, response.text
    assert response.json()["issue"][0]["expression"] == ["date"]
