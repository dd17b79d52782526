"""Group is a held type: create, read, search by member and by characteristic and type."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import make_patient

pytestmark = pytest.mark.anyio

_CHARACTERISTIC = "http://example.org/cohort"


def make_group(*members: str, **overrides: Any) -> dict[str, Any]:
    """An actual person Group of ``members`` (references); keywords replace elements."""
    group: dict[str, Any] = {
        "resourceType": "Group",
        "type": "person",
        "actual": True,
        "member": [{"entity": {"reference": member}} for member in members],
        "characteristic": [
            {
                "code": {"coding": [{"system": _CHARACTERISTIC, "code": "diabetes"}]},
                "valueBoolean": True,
                "exclude": False,
            }
        ],
    }
    group.update(overrides)
    return group


def ids(bundle: dict[str, Any]) -> set[str]:
    return {entry["resource"]["id"] for entry in bundle.get("entry", [])}


async def test_a_group_is_created_and_read(client: httpx.AsyncClient) -> None:
    created = await client.post("/fhir/Group", json=make_group())
    assert created.status_code == 201, created.text

    read = await client.get(f"/fhir/Group/{created.json()['id']}")

    assert read.status_code == 200
    assert read.json()["type"] == "person"


async def test_groups_are_found_by_member_characteristic_and_type(
    client: httpx.AsyncClient,
) -> None:
    first = (await client.post("/fhir/Patient", json=make_patient())).json()["id"]
    second = (await client.post("/fhir/Patient", json=make_patient())).json()["id"]
    with_first = (await client.post("/fhir/Group", json=make_group(f"Patient/{first}"))).json()
    devices = make_group(f"Patient/{second}", type="device", characteristic=[])
    other = (await client.post("/fhir/Group", json=devices)).json()

    by_member = await client.get("/fhir/Group", params={"member": f"Patient/{first}"})
    by_characteristic = await client.get(
        "/fhir/Group", params={"characteristic": f"{_CHARACTERISTIC}|diabetes"}
    )
    by_type = await client.get("/fhir/Group", params={"type": "device"})

    assert ids(by_member.json()) == {with_first["id"]}
    assert ids(by_characteristic.json()) == {with_first["id"]}
    assert ids(by_type.json()) == {other["id"]}


async def test_a_group_of_an_unknown_type_code_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/fhir/Group", json=make_group(type="robot"))

    assert response.status_code in {400, 422}
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_the_capability_statement_lists_group_and_its_search_parameters(
    client: httpx.AsyncClient,
) -> None:
    statement = (await client.get("/fhir/metadata")).json()

    group = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Group")
    assert {"member", "characteristic", "type"} <= {p["name"] for p in group["searchParam"]}


async def test_the_composite_characteristic_value_is_a_400_not_a_500(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/fhir/Group", params={"characteristic-value": f"{_CHARACTERISTIC}|diabetes$true"}
    )
    statement = (await client.get("/fhir/metadata")).json()

    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["characteristic-value"]
    group = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Group")
    assert "characteristic-value" not in {p["name"] for p in group["searchParam"]}
