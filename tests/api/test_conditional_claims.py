"""A conditional write's claim on its criteria outlives the match: taken over, or waited for."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import httpx
import pytest

from server.interactions import ResourceService, criteria_key
from server.search.engine import SearchEngine
from server.search.extract import extract_index
from server.storage.mongo.store import MongoStore
from server.storage.port import Store
from server.storage.sqlite.store import SqliteStore
from tests.conftest import FHIR_JSON, make_patient

pytestmark = pytest.mark.anyio

SYSTEM = "urn:oid:9.9"
CRITERIA = f"identifier={SYSTEM}|CLAIM"


def _patient(value: str = "CLAIM") -> dict[str, Any]:
    return make_patient(identifier=[{"system": SYSTEM, "value": value}])


async def _conditional_create(client: httpx.AsyncClient) -> httpx.Response:
    headers = {**FHIR_JSON, "If-None-Exist": CRITERIA}
    return await client.post("/fhir/Patient", json=_patient(), headers=headers)


async def test_a_holder_that_no_longer_matches_gives_way_to_a_new_resource(
    client: httpx.AsyncClient,
) -> None:
    first = (await _conditional_create(client)).json()
    moved = {**first, "identifier": [{"system": SYSTEM, "value": "ELSEWHERE"}]}
    assert (await client.put(f"/fhir/Patient/{first['id']}", json=moved)).status_code == 200

    second = await _conditional_create(client)
    again = await _conditional_create(client)

    assert second.status_code == 201
    assert second.json()["id"] != first["id"]
    assert again.status_code == 200
    assert again.json()["id"] == second.json()["id"]


async def test_a_deleted_holder_gives_way_to_a_new_resource(client: httpx.AsyncClient) -> None:
    first = (await _conditional_create(client)).json()
    assert (await client.delete(f"/fhir/Patient/{first['id']}")).status_code in (200, 204)

    second = await _conditional_create(client)

    assert second.status_code == 201
    assert second.json()["id"] != first["id"]


async def test_a_conditional_update_creates_again_once_its_match_moved_away(
    client: httpx.AsyncClient,
) -> None:
    url = f"/fhir/Patient?{CRITERIA}"
    first = (await client.put(url, json=_patient(), headers=FHIR_JSON)).json()
    moved = {**first, "identifier": [{"system": SYSTEM, "value": "ELSEWHERE"}]}
    await client.put(f"/fhir/Patient/{first['id']}", json=moved, headers=FHIR_JSON)

    second = await client.put(url, json=_patient(), headers=FHIR_JSON)

    assert second.status_code == 201
    assert second.json()["id"] != first["id"]


def _service(store: Store, orphan_wait: float) -> ResourceService:
    indexer = partial(extract_index, base_urls=())
    return ResourceService(store, indexer, SearchEngine(store, ()), orphan_wait=orphan_wait)


async def _plant_claim(store: Store, holder: str) -> None:
    """A claim on CRITERIA naming ``holder``, as a writer that died before its resource left it.

    Only a store without transactions can be left so; it is planted here on each store.
    """
    key = criteria_key("Patient", [("identifier", f"{SYSTEM}|CLAIM")])
    if isinstance(store, SqliteStore):
        await store.writer.submit(
            lambda conn: conn.execute(
                "INSERT INTO conditional_guard (key, type, id) VALUES (?, 'Patient', ?)",
                (key, holder),
            )
        )
    else:
        assert isinstance(store, MongoStore)
        await store.guards.insert_one({"_id": key, "type": "Patient", "id": holder})


async def test_a_claim_whose_resource_never_appears_is_taken_over(store: Store) -> None:
    await _plant_claim(store, "ghost")
    service = _service(store, orphan_wait=0.05)

    result = await service.create("Patient", _patient(), if_none_exist=CRITERIA)
    again = await service.create("Patient", _patient(), if_none_exist=CRITERIA)

    assert result.created
    assert result.version.id != "ghost"
    assert not again.created
    assert again.version.id == result.version.id
    assert await store.read("Patient", "ghost") is None


async def test_a_claim_whose_resource_is_still_being_written_is_waited_for(
    store: Store,
) -> None:
    await _plant_claim(store, "ghost")
    service = _service(store, orphan_wait=30.0)

    waiting = asyncio.ensure_future(service.create("Patient", _patient(), if_none_exist=CRITERIA))
    await asyncio.sleep(0.1)
    assert not waiting.done()
    await service.update("Patient", "ghost", {**_patient(), "id": "ghost"})
    result = await waiting

    assert not result.created
    assert result.version.id == "ghost"
    assert await store.count("Patient") == 1
