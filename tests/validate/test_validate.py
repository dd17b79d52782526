"""$validate: the checks of a create, update or delete, answered as an OperationOutcome."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from server.consent import codes as c
from tests.conftest import FHIR_JSON, make_claim, make_patient
from tests.everything.records import encounter, organization, patient, put_all
from tests.roi.factories import LAW_FIRM, make_roi_task

pytestmark = pytest.mark.anyio


def parameters(resource: dict[str, Any] | None = None, mode: str | None = None) -> dict[str, Any]:
    given: list[dict[str, Any]] = []
    if resource is not None:
        given.append({"name": "resource", "resource": resource})
    if mode is not None:
        given.append({"name": "mode", "valueCode": mode})
    return {"resourceType": "Parameters", "parameter": given}


async def validate(
    client: httpx.AsyncClient, path: str, body: dict[str, Any] | None, **params: str
) -> httpx.Response:
    if body is None:
        return await client.post(f"/fhir/{path}/$validate", params=params)
    return await client.post(f"/fhir/{path}/$validate", json=body, params=params, headers=FHIR_JSON)


def expressions(response: httpx.Response) -> list[str]:
    return [e for issue in response.json()["issue"] for e in issue.get("expression", ())]


async def count(client: httpx.AsyncClient, resource_type: str) -> int:
    found = (await client.get(f"/fhir/{resource_type}", params={"_summary": "count"})).json()
    total: int = found["total"]
    return total


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(make_patient(), id="resource"),
        pytest.param(parameters(make_patient()), id="parameters"),
        pytest.param(parameters(make_patient(), "create"), id="parameters-create"),
    ],
)
async def test_a_valid_resource_is_all_ok_and_nothing_is_written(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await validate(client, "Patient", body)

    assert response.status_code == 200, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert [i["severity"] for i in outcome["issue"]] == ["information"]
    assert await count(client, "Patient") == 0


async def test_a_malformed_resource_is_a_400_naming_the_element(client: httpx.AsyncClient) -> None:
    response = await validate(client, "Patient", make_patient(gender="robot"))

    assert response.status_code == 400
    assert "Patient.gender" in expressions(response)
    assert await count(client, "Patient") == 0


async def test_a_dangling_reference_is_a_422_naming_the_element(client: httpx.AsyncClient) -> None:
    await put_all(client, [patient("p1")])

    response = await validate(client, "Encounter", encounter("e1", "p1", doctor="nobody"))

    assert response.status_code == 422, response.text
    assert expressions(response) == ["Encounter.participant[0].individual"]


async def test_every_rule_and_integrity_issue_is_reported(client: httpx.AsyncClient) -> None:
    task = make_roi_task("pat-0001", c.HLEGAL, LAW_FIRM, types=["Claim"])
    task["status"] = "in-progress"  # the ROI rule: a request is filed as requested

    response = await validate(client, "Task", task, mode="create")

    assert response.status_code == 422, response.text
    found = expressions(response)
    assert "Task.status" in found
    assert "Task.for" in found  # Patient/pat-0001 is not on this server
    assert await count(client, "Task") == 0


async def test_an_update_is_checked_against_the_url_id(client: httpx.AsyncClient) -> None:
    await put_all(client, [patient("p1")])

    wrong = await validate(client, "Patient/p1", parameters(patient("p2"), "update"))
    right = await validate(
        client, "Patient/p1", {**patient("p1"), "gender": "female"}, mode="update"
    )

    assert wrong.status_code == 400
    assert expressions(wrong) == ["Patient.id"]
    assert right.status_code == 200, right.text
    stored = (await client.get("/fhir/Patient/p1")).json()
    assert stored["meta"]["versionId"] == "1"
    assert "gender" not in stored


async def test_a_delete_of_a_referenced_resource_is_a_409(client: httpx.AsyncClient) -> None:
    await put_all(client, [organization("org1"), patient("p1"), patient("p2")])
    claim = make_claim("Patient/p1", id="c1", insurance=[])
    claim["provider"] = {"reference": "Organization/org1"}
    await put_all(client, [claim])

    referenced = await validate(client, "Patient/p1", None, mode="delete")
    free = await validate(client, "Patient/p2", parameters(mode="delete"))

    assert referenced.status_code == 409, referenced.text
    assert "Claim/c1" in referenced.json()["issue"][0]["diagnostics"]
    assert free.status_code == 200, free.text
    assert (await client.get("/fhir/Patient/p2")).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "params", "expression"),
    [
        pytest.param("Patient", make_patient(), {"mode": "update"}, "mode", id="update-on-type"),
        pytest.param("Patient", make_patient(), {"mode": "erase"}, "mode", id="unknown-mode"),
        pytest.param("Patient", parameters(), {}, "resource", id="no-resource"),
        pytest.param(
            "Patient",
            {
                "resourceType": "Parameters",
                "parameter": [{"name": "profile", "valueUri": "http://x"}],
            },
            {},
            "Parameters.parameter[0]",
            id="profile",
        ),
    ],
)
async def test_a_request_that_does_not_fit_is_a_400_naming_the_parameter(
    client: httpx.AsyncClient,
    path: str,
    body: dict[str, Any],
    params: dict[str, str],
    expression: str,
) -> None:
    response = await validate(client, path, body, **params)

    assert response.status_code == 400, response.text
    assert expressions(response) == [expression]


async def test_a_read_only_type_has_no_validate(client: httpx.AsyncClient) -> None:
    response = await validate(client, "AuditEvent", {"resourceType": "AuditEvent"})

    assert response.status_code == 404
    assert response.json()["issue"][0]["code"] == "not-supported"


async def test_the_capability_statement_declares_the_operation(client: httpx.AsyncClient) -> None:
    rest = (await client.get("/fhir/metadata")).json()["rest"][0]
    by_type = {r["type"]: {op["name"] for op in r.get("operation", ())} for r in rest["resource"]}

    assert "validate" in by_type["Patient"]
    assert "validate" not in by_type["AuditEvent"]
