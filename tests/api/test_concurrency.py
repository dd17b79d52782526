"""Concurrent writers never lose an update."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import FHIR_JSON, make_patient

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
