"""Concurrent writers never lose an update, and conditional writers never duplicate."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import httpx
import pytest

from tests.conftest import FHIR_JSON, make_patient
from tests.released_together import released_together

pytestmark = pytest.mark.anyio


async def test_concurrent_if_match_updates_let_exactly_one_win(client: httpx.AsyncClient) -> None:
    created = (await client.post("/fhir/Patient", json=make_patient(), headers=FHIR_JSON)).json()
    url = f"/fhir/Patient/{created['id']}"
    headers = {**FHIR_JSON, "If-Match": 'W/"1"'}

    responses = await asyncio.gather(
        *(
            client.put(url, json={**created, "birthDate": f"19{n:02d}-01-01"}, headers=headers)
            for n in range(10)
        )
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 9
    assert (await client.get(url)).json()["meta"]["versionId"] == "2"


async def test_concurrent_blind_updates_all_land_as_distinct_versions(
    client: httpx.AsyncClient,
) -> None:
    created = (await client.post("/fhir/Patient", json=make_patient(), headers=FHIR_JSON)).json()
    url = f"/fhir/Patient/{created['id']}"

    responses = await asyncio.gather(
        *(
            client.put(url, json={**created, "birthDate": f"19{n:02d}-01-01"}, headers=FHIR_JSON)
            for n in range(10)
        )
    )

    assert all(r.status_code == 200 for r in responses)
    versions = sorted(int(r.json()["meta"]["versionId"]) for r in responses)
    assert versions == list(range(2, 12))
    history = (await client.get(f"{url}/_history")).json()
    assert len(history["entry"]) == 11


RACE_SYSTEM = "urn:oid:9.9"
ROUNDS = 5
RACERS = 16


async def _matching(client: httpx.AsyncClient, value: str) -> dict[str, Any]:
    response = await client.get(
        "/fhir/Patient", params={"identifier": f"{RACE_SYSTEM}|{value}", "_total": "accurate"}
    )
    assert response.status_code == 200
    bundle: dict[str, Any] = response.json()
    return bundle


def _racer(value: str, n: int) -> dict[str, Any]:
    return make_patient(
        identifier=[{"system": RACE_SYSTEM, "value": value}], birthDate=f"19{n:02d}-01-01"
    )


async def test_concurrent_conditional_creates_make_one_resource(
    client: httpx.AsyncClient,
) -> None:
    for round_number in range(ROUNDS):
        value = f"RACE-{round_number}"
        headers = {**FHIR_JSON, "If-None-Exist": f"identifier={RACE_SYSTEM}|{value}"}

        responses = await released_together(
            [
                partial(client.post, "/fhir/Patient", json=_racer(value, n), headers=headers)
                for n in range(RACERS)
            ]
        )

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * (RACERS - 1) + [201], f"round {round_number}"
        created = next(r.json() for r in responses if r.status_code == 201)
        assert {r.json()["id"] for r in responses} == {created["id"]}
        found = await _matching(client, value)
        assert found["total"] == 1
        assert found["entry"][0]["resource"]["id"] == created["id"]


async def test_concurrent_conditional_updates_make_one_resource_with_every_version(
    client: httpx.AsyncClient,
) -> None:
    for round_number in range(ROUNDS):
        value = f"RACE-U{round_number}"
        url = f"/fhir/Patient?identifier={RACE_SYSTEM}|{value}"

        responses = await released_together(
            [
                partial(client.put, url, json=_racer(value, n), headers=FHIR_JSON)
                for n in range(RACERS)
            ]
        )

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * (RACERS - 1) + [201], f"round {round_number}"
        ids = {r.json()["id"] for r in responses}
        assert len(ids) == 1
        versions = sorted(int(r.json()["meta"]["versionId"]) for r in responses)
        assert versions == list(range(1, RACERS + 1))
        found = await _matching(client, value)
        assert found["total"] == 1
        history = (await client.get(f"/fhir/Patient/{ids.pop()}/_history?_count=100")).json()
        assert len(history["entry"]) == RACERS
