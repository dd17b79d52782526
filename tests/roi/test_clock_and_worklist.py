"""The 30-day clock: its single extension, and the work list of open and overdue requests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from server.consent import codes as c
from server.roi import codes
from tests.conftest import FHIR_JSON
from tests.roi.factories import LAW_FIRM, file_task, make_roi_task

pytestmark = pytest.mark.anyio

TODAY = datetime.now(UTC).date()
ROI_CODE = f"{codes.TASK_TYPE}|{codes.RELEASE_OF_INFORMATION}"


def _received(days_ago: int) -> dict[str, Any]:
    received = (TODAY - timedelta(days=days_ago)).isoformat()
    return make_roi_task("pat-0001", c.HLEGAL, LAW_FIRM, types=["Claim"], authored_on=received)


def _reason(text: str) -> bytes:
    return orjson.dumps(
        {"resourceType": "Parameters", "parameter": [{"name": "reason", "valueString": text}]}
    )


async def _extend(client: httpx.AsyncClient, task_id: str, reason: str) -> httpx.Response:
    return await client.post(
        f"/fhir/Task/{task_id}/$extend", content=_reason(reason), headers=FHIR_JSON
    )


def _due(task: dict[str, Any]) -> date:
    return date.fromisoformat(task["restriction"]["period"]["end"])


async def test_the_due_date_is_extended_once_by_30_days_with_its_reason(
    client: httpx.AsyncClient,
) -> None:
    task = await file_task(client, _received(10))

    first = await _extend(client, task["id"], "Records are archived off site")
    second = await _extend(client, task["id"], "Still looking")

    assert _due(task) == TODAY + timedelta(days=20)
    assert first.status_code == 200, first.text
    extended = first.json()
    assert _due(extended) == TODAY + timedelta(days=50)
    [record] = [e for e in extended["extension"] if e["url"] == codes.DUE_EXTENSION_URL]
    assert {"url": "reason", "valueString": "Records are archived off site"} in record["extension"]
    assert "Records are archived off site" in extended["note"][-1]["text"]
    assert second.status_code == 422
    assert second.json()["issue"][0]["expression"] == ["Task.extension"]


async def test_a_client_update_keeps_the_extension_record(client: httpx.AsyncClient) -> None:
    task = await file_task(client, _received(1))
    extended = (await _extend(client, task["id"], "Off-site archive")).json()

    stripped = {k: v for k, v in extended.items() if k != "extension"}
    stripped["status"] = "in-progress"
    response = await client.put(
        f"/fhir/Task/{task['id']}", content=orjson.dumps(stripped), headers=FHIR_JSON
    )

    assert response.status_code == 200, response.text
    assert response.json()["extension"] == extended["extension"]
    assert (await _extend(client, task["id"], "again")).status_code == 422


@pytest.mark.parametrize(
    ("query", "status"),
    [
        pytest.param("", 400, id="no-body-no-reason"),
        pytest.param("?reason=%20", 400, id="blank-reason"),
        pytest.param("?reason=Archive", 200, id="reason-in-the-url"),
    ],
)
async def test_an_extension_needs_a_reason(
    client: httpx.AsyncClient, query: str, status: int
) -> None:
    task = await file_task(client, _received(0))

    response = await client.post(f"/fhir/Task/{task['id']}/$extend{query}")

    assert response.status_code == status, response.text


async def test_an_overdue_request_cannot_be_extended(client: httpx.AsyncClient) -> None:
    task = await file_task(client, _received(31))

    response = await _extend(client, task["id"], "Too late")

    assert response.status_code == 422
    assert response.json()["issue"][0]["expression"] == ["Task.restriction.period.end"]


async def test_the_work_list_finds_open_requests_by_due_date_and_overdue(
    client: httpx.AsyncClient,
) -> None:
    overdue = await file_task(client, _received(40))
    due_soon = await file_task(client, _received(25))
    fresh = await file_task(client, _received(0))
    done = await file_task(client, _received(45))
    done["status"] = "rejected"
    done["statusReason"] = {"text": "Withdrawn by the requester"}
    await client.put(f"/fhir/Task/{done['id']}", content=orjson.dumps(done), headers=FHIR_JSON)

    async def ids(**params: str) -> set[str]:
        response = await client.get("/fhir/Task", params={"code": ROI_CODE, **params})
        assert response.status_code == 200, response.text
        return {e["resource"]["id"] for e in response.json().get("entry", ())}

    open_statuses = "requested,in-progress"
    assert await ids(status=open_statuses) == {overdue["id"], due_soon["id"], fresh["id"]}
    assert await ids(status=open_statuses, due=f"lt{TODAY.isoformat()}") == {overdue["id"]}
    within_a_week = (TODAY + timedelta(days=7)).isoformat()
    assert await ids(status=open_statuses, due=f"lt{within_a_week}") == {
        overdue["id"],
        due_soon["id"],
    }
    assert await ids(recipient=LAW_FIRM, _sort="due") >= {overdue["id"], done["id"]}


async def test_the_capability_statement_documents_the_operations(
    client: httpx.AsyncClient,
) -> None:
    statement = (await client.get("/fhir/metadata")).json()
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}

    assert {op["name"] for op in resources["Task"]["operation"]} >= {"release", "extend"}
    assert "disclosures" in [op["name"] for op in resources["Patient"]["operation"]]
    assert "due" in {p["name"] for p in resources["Task"]["searchParam"]}
    assert {i["code"] for i in resources["AuditEvent"]["interaction"]} == {
        "read",
        "vread",
        "history-instance",
        "history-type",
        "search-type",
    }
