"""Chaining, reverse chaining (_has), _include/_revinclude (with :iterate and *), compartments."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.search.conftest import appointment, claim, create, matched_ids, put, search

pytestmark = pytest.mark.anyio


def included(bundle: dict[str, Any]) -> set[str]:
    return {
        f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle.get("entry", [])
        if e["search"]["mode"] == "include"
    }


@pytest.fixture
async def world(client: httpx.AsyncClient, patients: dict[str, str]) -> dict[str, str]:
    """Claims for alvarez (active) and smith (cancelled), an org, a practitioner, appointments."""
    await put(client, {"resourceType": "Organization", "id": "org1", "name": "Acme Health"})
    await put(client, {"resourceType": "Organization", "id": "parent", "name": "Acme Group"})
    org = (await client.get("/fhir/Organization/org1")).json()
    org["partOf"] = {"reference": "Organization/parent"}
    await put(client, org)
    await put(client, {"resourceType": "Practitioner", "id": "pr1", "name": [{"family": "House"}]})
    return {
        "claim-alvarez": (await create(client, claim("alvarez")))["id"],
        "claim-smith": (await create(client, claim("smith", status="cancelled")))["id"],
        "appt-alvarez": (await create(client, appointment()))["id"],
        "appt-smith": (
            await create(
                client,
                appointment(
                    start="2024-03-02T09:00:00Z",
                    end="2024-03-02T09:30:00Z",
                    participant=[
                        {"actor": {"reference": "Patient/smith"}, "status": "accepted"},
                        {"actor": {"reference": "Practitioner/pr1"}, "status": "accepted"},
                    ],
                ),
            )
        )["id"],
    }


async def test_chain_through_a_reference(client: httpx.AsyncClient, world: dict[str, str]) -> None:
    bundle = await search(client, "Claim?patient.identifier=urn:mrn|A1")

    assert matched_ids(bundle) == [world["claim-alvarez"]]


async def test_chain_with_a_type_and_two_levels(
    client: httpx.AsyncClient, world: dict[str, str]
) -> None:
    by_family = await search(client, "Appointment?actor:Patient.family=smith")
    by_practitioner = await search(client, "Appointment?practitioner.family=house")

    assert matched_ids(by_family) == [world["appt-smith"]]
    assert matched_ids(by_practitioner) == [world["appt-smith"]]


async def test_reverse_chain(client: httpx.AsyncClient, world: dict[str, str]) -> None:
    active = await search(client, "Patient?_has:Claim:patient:status=active")
    any_claim = await search(client, "Patient?_has:Claim:patient:status=active,cancelled")

    assert matched_ids(active) == ["alvarez"]
    assert set(matched_ids(any_claim)) == {"alvarez", "smith"}


async def test_include_adds_the_referenced_resources(
    client: httpx.AsyncClient, world: dict[str, str]
) -> None:
    bundle = await search(
        client, "Claim?status=active&_include=Claim:patient&_include=Claim:provider"
    )

    assert matched_ids(bundle) == [world["claim-alvarez"]]
    assert included(bundle) == {"Patient/alvarez", "Organization/org1"}


async def test_include_iterate_follows_included_resources(
    client: httpx.AsyncClient, world: dict[str, str]
) -> None:
    once = await search(client, "Claim?status=active&_include=Claim:provider")
    iterated = await search(
        client, "Claim?status=active&_include=Claim:provider&_include:iterate=Organization:partof"
    )

    assert included(once) == {"Organization/org1"}
    assert included(iterated) == {"Organization/org1", "Organization/parent"}


async def test_include_star(client: httpx.AsyncClient, world: dict[str, str]) -> None:
    bundle = await search(client, "Appointment?patient=smith&_include=*")

    assert included(bundle) == {"Patient/smith", "Practitioner/pr1"}


async def test_revinclude(client: httpx.AsyncClient, world: dict[str, str]) -> None:
    bundle = await search(client, "Patient?_id=alvarez&_revinclude=Claim:patient")
    star = await search(client, "Patient?_id=smith&_revinclude=*")

    assert included(bundle) == {f"Claim/{world['claim-alvarez']}"}
    assert included(star) == {f"Claim/{world['claim-smith']}", f"Appointment/{world['appt-smith']}"}


async def test_appointment_by_date_and_actor(
    client: httpx.AsyncClient, world: dict[str, str]
) -> None:
    bundle = await search(client, "Appointment?date=2024-03-02&actor=Practitioner/pr1")
    none = await search(client, "Appointment?date=2024-03-01&actor=Practitioner/pr1")

    assert matched_ids(bundle) == [world["appt-smith"]]
    assert matched_ids(none) == []


async def test_patient_compartment(client: httpx.AsyncClient, world: dict[str, str]) -> None:
    claims = await search(client, "Patient/smith/Claim")
    appointments = await search(client, "Patient/alvarez/Appointment?status=booked")

    assert matched_ids(claims) == [world["claim-smith"]]
    assert matched_ids(appointments) == [world["appt-alvarez"]]


async def test_a_type_outside_the_compartment_is_404(
    client: httpx.AsyncClient, world: dict[str, str]
) -> None:
    response = await client.get("/fhir/Patient/smith/Organization")

    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"
