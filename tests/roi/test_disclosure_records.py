"""The records a release leaves: read-only, written atomically, and the accounting over them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from server.consent import codes as c
from server.roi import codes
from server.storage.port import LedgerEntry, Method, StoredVersion, Write
from tests.conftest import FHIR_JSON
from tests.roi.factories import (
    EVERGREEN,
    LAW_FIRM,
    file_task,
    load,
    make_roi_task,
    parameter,
    run_release,
)

pytestmark = pytest.mark.anyio


async def _released(client: httpx.AsyncClient) -> dict[str, Any]:
    await load(client, "pat-0009")
    task = await file_task(client, make_roi_task("pat-0009", c.PATRQT, "Patient/pat-0009"))
    return await run_release(client, task["id"])


@pytest.mark.parametrize("kind", ["disclosure", "provenance", "release"])
async def test_server_records_cannot_be_written_through_the_api(
    client: httpx.AsyncClient, kind: str
) -> None:
    answer = await _released(client)
    url = "/fhir/" + parameter(answer, kind)["reference"]
    current = (await client.get(url)).json()
    type_url = url.rsplit("/", 1)[0]

    put = await client.put(url, content=orjson.dumps(current), headers=FHIR_JSON)
    delete = await client.delete(url)
    post = await client.post(type_url, content=orjson.dumps(current), headers=FHIR_JSON)
    patch = await client.patch(
        url, content=b"[]", headers={"Content-Type": "application/json-patch+json"}
    )

    assert [r.status_code for r in (put, delete, post, patch)] == [405, 405, 405, 405]
    assert (await client.get(url)).json()["meta"]["versionId"] == "1"
    assert (await client.get(f"{url}/_history")).status_code == 200


async def test_the_disclosure_follows_the_balp_pattern_and_the_bundle_has_provenance(
    client: httpx.AsyncClient,
) -> None:
    answer = await _released(client)
    bundle_ref = parameter(answer, "release")["reference"]

    event = (await client.get("/fhir/" + parameter(answer, "disclosure")["reference"])).json()
    provenance = await client.get("/fhir/Provenance", params={"target": bundle_ref})

    assert event["type"]["code"] == codes.EXPORT
    assert event["subtype"] == [
        {"system": codes.LIFECYCLE, "code": codes.DISCLOSE, "display": "Disclose"}
    ]
    roles = {a["type"]["coding"][0]["code"]: a for a in event["agent"]}
    assert roles[codes.DESTINATION_ROLE]["who"] == {"reference": "Patient/pat-0009"}
    assert roles[codes.SOURCE_ROLE]["requestor"] is False
    assert event["purposeOfEvent"][0]["coding"][0]["code"] == c.PATRQT
    what = [e["what"]["reference"] for e in event["entity"]]
    assert what[:2] == ["Patient/pat-0009", bundle_ref]
    assert "Released 6 resource(s)" in event["entity"][1]["description"]
    assert provenance.json()["total"] == 1


class _FailingStore:
    """Wraps the app's store; the write of a release meets a concurrent change first."""

    def __init__(self, store: Any, clash: str) -> None:
        self.inner = store
        self.clash = clash

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def write(self, writes: Sequence[Write], ledger: LedgerEntry | None = None) -> None:
        types = [w.version.resource_type for w in writes]
        if "Bundle" in types:
            await self._interfere(writes)
        await self.inner.write(writes, ledger)

    async def _interfere(self, writes: Sequence[Write]) -> None:
        target = next(w for w in writes if w.version.resource_type == self.clash)
        if self.clash == "Task":  # a clerk edits the request meanwhile
            current = await self.inner.read("Task", target.version.id)
            bumped = StoredVersion(
                "Task",
                current.id,
                current.version + 1,
                current.last_updated + 1,
                Method.PUT,
                current.body,
            )
            await self.inner.write([Write(bumped, current.version, target.index)])
        else:  # a record with the new id appears: the last write of the four fails
            await self.inner.write([target])


@pytest.mark.parametrize("clash", ["Task", "Provenance"])
async def test_a_failed_write_leaves_neither_release_nor_disclosure_record(
    app_client: tuple[FastAPI, httpx.AsyncClient], store_url: str, clash: str
) -> None:
    if clash == "Provenance" and store_url.startswith("memory"):
        pytest.skip("mongomock has no transactions: only the first write's failure is atomic")
    app, client = app_client
    await load(client, "pat-0009")
    task = await file_task(client, make_roi_task("pat-0009", c.PATRQT, "Patient/pat-0009"))
    store = app.state.store
    app.state.service.store = _FailingStore(store, clash)

    response = await client.post(f"/fhir/Task/{task['id']}/$release")

    assert response.status_code == 409
    app.state.service.store = store
    for type_name in ("Bundle", "AuditEvent"):
        assert await store.count(type_name) == 0
    assert await store.count("Provenance") == (1 if clash == "Provenance" else 0)
    assert (await client.get(f"/fhir/Task/{task['id']}")).json()["status"] == "requested"


async def test_the_accounting_lists_non_exempt_disclosures_unless_all(
    client: httpx.AsyncClient,
) -> None:
    await load(client, "pat-0009", "pat-0001")
    health_department = "Organization/ohio-department-of-health"
    requests = [
        make_roi_task("pat-0009", c.PATRQT, "Patient/pat-0009"),
        make_roi_task("pat-0009", c.PUBHLTH, health_department, types=["Coverage"]),
        make_roi_task("pat-0009", c.HPAYMT, EVERGREEN, types=["Coverage"]),
        make_roi_task(
            "pat-0001", c.HLEGAL, LAW_FIRM, types=["Claim"], authorization="cons-roi-0001"
        ),
    ]
    events = []
    for task in requests:
        answer = await run_release(client, (await file_task(client, task))["id"])
        events.append(parameter(answer, "disclosure")["reference"])

    async def listed(patient: str, query: str = "") -> list[str]:
        response = await client.get(f"/fhir/Patient/{patient}/$disclosures{query}")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == len(body.get("entry", ()))
        return [f"AuditEvent/{e['resource']['id']}" for e in body.get("entry", ())]

    assert await listed("pat-0009") == [events[1]]  # public health: to be accounted for
    assert await listed("pat-0009", "?all=true") == events[2::-1]  # newest first
    assert await listed("pat-0001") == []  # under an authorization: exempt
    assert await listed("pat-0001", "?all=true") == [events[3]]
    unknown = await client.get("/fhir/Patient/nobody/$disclosures")
    bad_flag = await client.get("/fhir/Patient/pat-0001/$disclosures?all=maybe")
    assert unknown.status_code == 404
    assert bad_flag.status_code == 400
    assert bad_flag.json()["issue"][0]["expression"] == ["all"]
