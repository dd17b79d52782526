"""A record written while its patient is merged, the merge committing between the write's
look for merges and its commit, ends at the survivor: the write pinned the Patient's
version, so the store refuses it and the write looks again (Write.requires).

The merge is run at exactly that moment by a look for merges that, once, merges the
patient after it looked: the merge's own search for the patient's records, and its
search after its commit, both run before the record is stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import pytest

from server.runtime import Runtime
from server.settings import Settings
from server.storage.port import Required
from tests.conftest import running_app
from tests.merge.race import FHIR_JSON, mentions, merge_parameters, records_of

pytestmark = pytest.mark.anyio


class MergesAfterLooking:
    """The service's look for merges, merging ``retired`` into ``survivor`` after its first look."""

    def __init__(self, runtime: Runtime, http: httpx.AsyncClient, retired: str, survivor: str):
        self.looks = runtime.service.follow_merges
        self.http = http
        self.pair = (retired, survivor)
        self.merged = False

    async def __call__(self, resource: dict[str, Any]) -> Sequence[Required]:
        assert self.looks is not None
        pins = await self.looks(resource)
        if not self.merged:
            self.merged = True
            merge = merge_parameters(*self.pair)
            answer = await self.http.post("/fhir/Patient/$merge", json=merge, headers=FHIR_JSON)
            assert answer.status_code == 200, answer.text
        return pins


@pytest.fixture
async def app_client(settings: Settings) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    async with running_app(settings) as http:
        yield http.app.state.runtime, http  # type: ignore[attr-defined]


async def _patients(http: httpx.AsyncClient) -> tuple[str, str]:
    for patient in ("pin-old", "pin-new"):
        body = {"resourceType": "Patient", "id": patient}
        assert (await http.put(f"/fhir/Patient/{patient}", json=body)).status_code == 201
    return "pin-old", "pin-new"


@pytest.mark.parametrize("kind", ["Appointment", "Coverage", "Consent"])
async def test_a_create_merged_after_it_looked_ends_at_the_survivor(
    app_client: tuple[Runtime, httpx.AsyncClient], kind: str
) -> None:
    runtime, http = app_client
    retired, survivor = await _patients(http)
    record = next(r for r in records_of(retired, 3) if r["resourceType"] == kind)
    runtime.service.follow_merges = MergesAfterLooking(runtime, http, retired, survivor)

    created = await http.post(f"/fhir/{kind}", json=record, headers=FHIR_JSON)

    assert created.status_code == 201, created.text
    stored = (await http.get(f"/fhir/{kind}/{created.json()['id']}")).json()
    assert mentions(stored, survivor), stored
    assert not mentions(stored, retired), stored


async def test_a_transaction_merged_after_it_looked_ends_at_the_survivor(
    app_client: tuple[Runtime, httpx.AsyncClient], store_url: str
) -> None:
    runtime, http = app_client
    retired, survivor = await _patients(http)
    runtime.service.follow_merges = MergesAfterLooking(runtime, http, retired, survivor)
    bundle = {
        "resourceType": "Bundle",
        # memory:// has no transactions: its Bundle is a batch.
        "type": "batch" if store_url == "memory://" else "transaction",
        "entry": [
            {"request": {"method": "POST", "url": r["resourceType"]}, "resource": r}
            for r in records_of(retired, 3)
        ],
    }

    answer = await http.post("/fhir", json=bundle, headers=FHIR_JSON)

    assert answer.status_code == 200, answer.text
    for entry in answer.json()["entry"]:
        assert entry["response"]["status"].startswith("201"), entry
        made = entry["resource"]
        stored = (await http.get(f"/fhir/{made['resourceType']}/{made['id']}")).json()
        assert mentions(stored, survivor), stored
        assert not mentions(stored, retired), stored
