"""Small records for $everything tests: builders of each member type, by id, and a loader."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import FHIR_JSON


def practitioner(pid: str) -> dict[str, Any]:
    return {"resourceType": "Practitioner", "id": pid, "name": [{"family": f"Dr {pid}"}]}


def organization(oid: str) -> dict[str, Any]:
    return {"resourceType": "Organization", "id": oid, "name": f"Org {oid}"}


def location(lid: str) -> dict[str, Any]:
    return {"resourceType": "Location", "id": lid, "name": f"Ward {lid}"}


def patient(pid: str, doctor: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"resourceType": "Patient", "id": pid, "name": [{"family": pid}]}
    if doctor is not None:
        body["generalPractitioner"] = [{"reference": f"Practitioner/{doctor}"}]
    return body


def encounter(
    eid: str, patient_id: str, doctor: str | None = None, ward: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": eid,
        "status": "finished",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "AMB",
        },
        "subject": {"reference": f"Patient/{patient_id}"},
    }
    if doctor is not None:
        body["participant"] = [{"individual": {"reference": f"Practitioner/{doctor}"}}]
    if ward is not None:
        body["location"] = [{"location": {"reference": f"Location/{ward}"}}]
    return body


def appointment(aid: str, *actors: str) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "id": aid,
        "status": "booked",
        "participant": [{"actor": {"reference": actor}, "status": "accepted"} for actor in actors],
    }


def coverage(cid: str, beneficiary: str, payor: str) -> dict[str, Any]:
    return {
        "resourceType": "Coverage",
        "id": cid,
        "status": "active",
        "beneficiary": {"reference": f"Patient/{beneficiary}"},
        "payor": [{"reference": f"Organization/{payor}"}],
    }


async def put_all(http: httpx.AsyncClient, resources: list[dict[str, Any]]) -> None:
    """PUT each resource (by its id), in order: what is referenced first."""
    for body in resources:
        url = f"/fhir/{body['resourceType']}/{body['id']}"
        response = await http.put(url, json=body, headers=FHIR_JSON)
        assert response.status_code in (200, 201), response.text


async def walk(
    http: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None
) -> list[list[str]]:
    """The pages of an $everything answer, followed by next links: ``Type/id`` per entry."""
    pages: list[list[str]] = []
    next_url: str | None = url
    while next_url is not None:
        response = await http.get(next_url, headers=headers or {})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["type"] == "searchset"
        pages.append(
            [
                f"{e['resource']['resourceType']}/{e['resource']['id']}"
                for e in body.get("entry", ())
            ]
        )
        links = {link["relation"]: link["url"] for link in body.get("link", ())}
        next_url = links.get("next")
        if next_url is not None:
            next_url = next_url.removeprefix("http://testserver")
        assert len(pages) < 500, "a cursor does not advance"
    return pages
