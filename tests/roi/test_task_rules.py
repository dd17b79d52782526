"""An ROI Task's shape, its status machine and its server-owned parts, over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from server.consent import codes as c
from server.roi import codes
from server.roi.task_rules import REVIEW_RIGHTS
from tests.conftest import FHIR_JSON
from tests.roi.factories import LAW_FIRM, file_task, input_of, make_roi_task

pytestmark = pytest.mark.anyio


def _task(**overrides: Any) -> dict[str, Any]:
    return make_roi_task("pat-0001", c.HLEGAL, LAW_FIRM, types=["Claim"], **overrides)


async def _put(client: httpx.AsyncClient, task: dict[str, Any]) -> httpx.Response:
    return await client.put(
        f"/fhir/Task/{task['id']}", content=orjson.dumps(task), headers=FHIR_JSON
    )


@pytest.mark.parametrize(
    ("change", "expression"),
    [
        pytest.param({"for": {"reference": "Group/g1"}}, "Task.for", id="for-not-a-patient"),
        pytest.param(
            {"reasonCode": {"coding": [{"system": "urn:x", "code": "HLEGAL"}]}},
            "Task.reasonCode",
            id="purpose-without-actreason",
        ),
        pytest.param(
            {"restriction": {"recipient": [{"reference": LAW_FIRM}, {"reference": LAW_FIRM}]}},
            "Task.restriction.recipient",
            id="two-recipients",
        ),
        pytest.param(
            {"input": [input_of("colour", valueCode="red")]}, "Task.input[0]", id="unknown-input"
        ),
        pytest.param(
            {"input": [input_of(codes.RESOURCE_TYPE, valueCode="AuditEvent")]},
            "Task.input[0]",
            id="not-a-record-type",
        ),
        pytest.param(
            {"input": [input_of(codes.AUTHORIZATION, valueReference={"reference": "Claim/1"})]},
            "Task.input[0]",
            id="authorization-not-a-consent",
        ),
        pytest.param({"requester": {"display": "a lawyer"}}, "Task.requester", id="no-requester"),
        pytest.param({"status": "in-progress"}, "Task.status", id="created-in-progress"),
        pytest.param(
            {
                "authoredOn": "2026-01-01",
                "restriction": {
                    "recipient": [{"reference": LAW_FIRM}],
                    "period": {"end": "2026-03-01"},
                },
            },
            "Task.restriction.period.end",
            id="due-beyond-30-days",
        ),
    ],
)
async def test_a_wrong_shape_is_a_422_naming_the_element(
    client: httpx.AsyncClient, change: dict[str, Any], expression: str
) -> None:
    task = _task()
    task.update(change)

    response = await client.post("/fhir/Task", content=orjson.dumps(task), headers=FHIR_JSON)

    assert response.status_code == 422, response.text
    issue = response.json()["issue"][0]
    assert issue["code"] == "business-rule"
    assert issue["expression"] == [expression]


async def test_a_status_outside_the_value_set_is_invalid(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/fhir/Task", content=orjson.dumps(_task(status="finished")), headers=FHIR_JSON
    )

    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["Task.status"]


async def test_the_server_sets_received_and_due_and_owns_the_outputs(
    client: httpx.AsyncClient,
) -> None:
    forged = [input_of(codes.RELEASE, valueReference={"reference": "Bundle/forged"})]
    stored = await file_task(client, _task(authoredOn="2026-11-02", output=forged))
    today = await file_task(client, _task())

    assert stored["restriction"]["period"]["end"] == "2026-12-02"
    assert "output" not in stored
    assert today["authoredOn"] == datetime.now(UTC).date().isoformat()
    due = datetime.now(UTC).date() + timedelta(days=30)
    assert today["restriction"]["period"]["end"] == due.isoformat()


async def test_the_status_moves_forward_and_a_rejection_records_review_rights(
    client: httpx.AsyncClient,
) -> None:
    task = await file_task(client, _task())

    task["status"] = "in-progress"
    started = await _put(client, task)
    task = started.json()
    task["status"] = "completed"
    completed_by_hand = await _put(client, task)
    task["status"] = "rejected"
    without_reason = await _put(client, task)
    task["statusReason"] = {"text": "The authorization is not signed"}
    rejected = await _put(client, task)
    task = rejected.json()
    task["status"] = "in-progress"
    reopened = await _put(client, task)

    assert started.status_code == 200
    assert completed_by_hand.status_code == 422
    assert without_reason.status_code == 422
    assert without_reason.json()["issue"][0]["expression"] == ["Task.statusReason"]
    assert rejected.status_code == 200
    assert [n["text"] for n in task["note"]] == [REVIEW_RIGHTS]
    assert reopened.status_code == 422
    assert reopened.json()["issue"][0]["expression"] == ["Task.status"]


async def test_the_due_date_and_the_received_date_do_not_move_by_update(
    client: httpx.AsyncClient,
) -> None:
    task = await file_task(client, _task(authoredOn="2026-11-02"))

    later = dict(task, restriction={**task["restriction"], "period": {"end": "2026-12-30"}})
    moved_due = await _put(client, later)
    moved_received = await _put(client, dict(task, authoredOn="2026-11-20"))
    without_dates = {k: v for k, v in task.items() if k not in ("authoredOn", "restriction")}
    without_dates["restriction"] = {"recipient": task["restriction"]["recipient"]}
    kept = await _put(client, without_dates)

    assert moved_due.status_code == 422
    assert moved_due.json()["issue"][0]["expression"] == ["Task.restriction.period.end"]
    assert moved_received.status_code == 422
    assert kept.status_code == 200
    assert kept.json()["restriction"]["period"]["end"] == "2026-12-02"
    assert kept.json()["authoredOn"] == "2026-11-02"


async def test_other_tasks_are_left_alone(client: httpx.AsyncClient) -> None:
    task = {"resourceType": "Task", "status": "completed", "intent": "order"}

    response = await client.post("/fhir/Task", content=orjson.dumps(task), headers=FHIR_JSON)

    assert response.status_code == 201
    assert "restriction" not in response.json()
