"""Chains and ``_has`` nested to the depth limit work with data present; past it, a 400."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from server.search.parse import MAX_JOIN_DEPTH
from tests.search.conftest import claim, create, matched_ids, put, search

pytestmark = pytest.mark.anyio

PARTOF = "_has:Organization:partof:"


def chain(depth: int, leaf: str) -> str:
    """``organization.partof...`` with ``depth`` links from Patient, then ``leaf``."""
    return "organization." + "partof." * (depth - 1) + leaf


def task(**references: str) -> dict[str, Any]:
    """A Task with the given reference elements (``focus``, ``partOf``, ``owner``)."""
    body: dict[str, Any] = {"resourceType": "Task", "status": "requested", "intent": "order"}
    for element, target in references.items():
        reference = {"reference": target}
        body[element] = [reference] if element == "partOf" else reference
    return body


@pytest.fixture
async def hierarchy(client: httpx.AsyncClient) -> None:
    """Organizations o1 partOf o2 ... partOf o8 named "Level n"; Patient pat in o1."""
    for level in range(8, 0, -1):
        org: dict[str, Any] = {
            "resourceType": "Organization",
            "id": f"o{level}",
            "name": f"Level {level}",
        }
        if level < 8:
            org["partOf"] = {"reference": f"Organization/o{level + 1}"}
        await put(client, org)
    await put(
        client,
        {
            "resourceType": "Patient",
            "id": "pat",
            "managingOrganization": {"reference": "Organization/o1"},
        },
    )
    await put(client, {"resourceType": "Patient", "id": "other"})


async def test_a_chain_at_the_depth_limit(client: httpx.AsyncClient, hierarchy: None) -> None:
    at_limit = await search(
        client, f"Patient?{chain(MAX_JOIN_DEPTH, 'name')}=Level {MAX_JOIN_DEPTH}"
    )
    one_short = await search(client, f"Patient?{chain(MAX_JOIN_DEPTH, 'name')}=Level 1")

    assert matched_ids(at_limit) == ["pat"]
    assert matched_ids(one_short) == []


async def test_has_nested_to_the_depth_limit(client: httpx.AsyncClient, hierarchy: None) -> None:
    top = MAX_JOIN_DEPTH + 1
    reached = await search(client, f"Organization?{PARTOF * MAX_JOIN_DEPTH}name=Level 1")
    below = await search(client, f"Organization?{PARTOF * MAX_JOIN_DEPTH}name=Level 2")

    assert matched_ids(reached) == [f"o{top}"]
    assert matched_ids(below) == [f"o{top + 1}"]


async def test_has_through_several_types(client: httpx.AsyncClient) -> None:
    """Patient <- Claim <- Task (focus) <- Task (partOf) ...: each level another reference."""
    await put(client, {"resourceType": "Practitioner", "id": "pr1"})
    await put(client, {"resourceType": "Patient", "id": "pat"})
    await put(client, {"resourceType": "Patient", "id": "other"})
    await create(client, task(focus=f"Claim/{(await create(client, claim('other')))['id']}"))
    focused = f"Claim/{(await create(client, claim('pat')))['id']}"
    parent = f"Task/{(await create(client, task(focus=focused)))['id']}"
    for _ in range(MAX_JOIN_DEPTH - 3):
        parent = f"Task/{(await create(client, task(partOf=parent)))['id']}"
    await create(client, task(partOf=parent, owner="Practitioner/pr1"))
    levels = "_has:Claim:patient:_has:Task:focus:" + "_has:Task:part-of:" * (MAX_JOIN_DEPTH - 2)

    bundle = await search(client, f"Patient?{levels}owner=Practitioner/pr1")

    assert matched_ids(bundle) == ["pat"]


async def test_a_chain_ending_in_has(client: httpx.AsyncClient, hierarchy: None) -> None:
    """Up the hierarchy by chain to o(k), then down by ``_has`` to o(k - m)."""
    up = MAX_JOIN_DEPTH // 2 + 1
    down = MAX_JOIN_DEPTH - up
    name = chain(up, PARTOF * down + "name")

    found = await search(client, f"Patient?{name}=Level {up - down}")
    missed = await search(client, f"Patient?{name}=Level {up - down + 1}")

    assert matched_ids(found) == ["pat"]
    assert matched_ids(missed) == []


async def test_a_chain_to_several_types_ending_in_has(
    client: httpx.AsyncClient, hierarchy: None
) -> None:
    """Task.focus may point at any type; only the Organizations can have a managing one."""
    await create(client, task(focus="Organization/o1"))
    task_id = (await create(client, task(focus="Organization/o2")))["id"]

    bundle = await search(client, "Task?focus._has:Patient:organization:_id=pat")
    upwards = await search(client, "Task?focus._has:Organization:partof:name=Level 1")

    assert len(matched_ids(bundle)) == 1
    assert matched_ids(upwards) == [task_id]


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(chain(MAX_JOIN_DEPTH + 1, "name"), id="chain"),
        pytest.param("organization." + PARTOF * MAX_JOIN_DEPTH + "name", id="chain-then-has"),
        pytest.param(chain(2000, "name"), id="very-long-chain"),
    ],
)
@pytest.mark.parametrize("prefer", ["handling=strict", "handling=lenient"])
async def test_past_the_depth_limit_is_a_400_naming_it(
    client: httpx.AsyncClient, hierarchy: None, name: str, prefer: str
) -> None:
    response = await client.get(f"/fhir/Patient?{name}=Level 1", headers={"Prefer": prefer})

    assert response.status_code == 400, response.text
    issue = response.json()["issue"][0]
    assert f"{MAX_JOIN_DEPTH}" in issue["diagnostics"]
    assert issue["expression"] == [name]


async def test_has_past_the_depth_limit_is_a_400(
    client: httpx.AsyncClient, hierarchy: None
) -> None:
    name = PARTOF * (MAX_JOIN_DEPTH + 1) + "name"

    response = await client.get(f"/fhir/Organization?{name}=Level 1")

    assert response.status_code == 400, response.text
    issue = response.json()["issue"][0]
    assert f"at most {MAX_JOIN_DEPTH}" in issue["diagnostics"]
    assert issue["expression"] == [name]
