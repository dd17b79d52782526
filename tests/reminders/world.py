"""Reminder test data: a patient, a clinic, a practitioner and their appointments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.scheduling.booking import make_appointment

CLINIC: dict[str, Any] = {"resourceType": "Location", "id": "rem-clinic", "name": "North Clinic"}
DOCTOR: dict[str, Any] = {
    "resourceType": "Practitioner",
    "id": "rem-doc",
    "name": [{"family": "Okafor", "given": ["Ada"], "prefix": ["Dr."]}],
}


def make_patient(patient_id: str, *telecom: dict[str, Any]) -> dict[str, Any]:
    """A patient reached at ``telecom`` (ContactPoints)."""
    return {
        "resourceType": "Patient",
        "id": patient_id,
        "name": [{"family": "Rivera", "given": ["Ana"]}],
        "telecom": list(telecom),
    }


def email(value: str, **more: Any) -> dict[str, Any]:
    return {"system": "email", "value": value, **more}


def phone(value: str, **more: Any) -> dict[str, Any]:
    return {"system": "phone", "value": value, **more}


def at(hours: float) -> str:
    """The instant ``hours`` from now, to the second, in UTC."""
    moment = datetime.now(UTC) + timedelta(hours=hours)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def visit(patient_id: str, hours: float, **overrides: Any) -> dict[str, Any]:
    """A booked half hour of the patient with the doctor at the clinic, ``hours`` from now."""
    return make_appointment(
        at(hours),
        at(hours + 0.5),
        f"Patient/{patient_id}",
        "Practitioner/rem-doc",
        "Location/rem-clinic",
        **overrides,
    )


async def put(client: httpx.AsyncClient, resource: dict[str, Any]) -> None:
    response = await client.put(f"/fhir/{resource['resourceType']}/{resource['id']}", json=resource)
    assert response.status_code in {200, 201}, response.text


async def store_world(client: httpx.AsyncClient, *patients: dict[str, Any]) -> None:
    for resource in (CLINIC, DOCTOR, *patients):
        await put(client, resource)


async def book(client: httpx.AsyncClient, appointment_id: str, body: dict[str, Any]) -> None:
    await put(client, {**body, "id": appointment_id})


def tally(**counted: int) -> dict[str, int]:
    """A $send-reminders answer's counts: those given, the others 0."""
    names = ("created", "sent", "failed", "skipped", "retried")
    return {name: counted.get(name, 0) for name in names}


def counts(parameters: dict[str, Any]) -> dict[str, int]:
    """The counts of a $send-reminders answer, by name."""
    return {p["name"]: p["valueInteger"] for p in parameters["parameter"] if "valueInteger" in p}


async def reminders_of(client: httpx.AsyncClient, appointment_id: str) -> list[dict[str, Any]]:
    """The Communications based on the Appointment."""
    response = await client.get(
        "/fhir/Communication", params={"based-on": f"Appointment/{appointment_id}"}
    )
    assert response.status_code == 200, response.text
    return [entry["resource"] for entry in response.json().get("entry", [])]
