"""Builders for ROI tests: sandbox records loaded over HTTP, ROI Tasks, Parameters readers."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import orjson

from server.consent import codes as c
from server.roi import codes
from tests.conftest import FHIR_JSON
from tests.referenced import provide_targets

SANDBOX = Path(__file__).resolve().parents[2] / "fixtures" / "sandbox"
LAW_FIRM = "Organization/org-hartwell-law"
UNITY = "Organization/org-unity"  # the payer pat-0018's Part 2 consent names
EVERGREEN = "Organization/org-evergreen"  # pat-0006's payer
RESEARCHER = "Organization/org-university"
_LOADED_TYPES = ("Patient", "Coverage", "Appointment", "Consent", "Claim", "RelatedPerson")


def sandbox_records(patient_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The sandbox resources of these patients (their compartments), in seed order."""
    wanted = tuple(f'"Patient/{p}"' for p in patient_ids)
    found: list[dict[str, Any]] = []
    for type_name in _LOADED_TYPES:
        for resource in orjson.loads((SANDBOX / f"{type_name}.json").read_bytes()):
            text = orjson.dumps(resource).decode()
            own = type_name == "Patient" and f'"Patient/{resource["id"]}"' in wanted
            if own or any(ref in text for ref in wanted):
                found.append(resource)
    return found


async def load(client: httpx.AsyncClient, *patient_ids: str) -> list[dict[str, Any]]:
    """PUT the sandbox records of these patients; return them."""
    records = sandbox_records(patient_ids)
    await provide_targets(client, *records, skip_own=False)  # patients link each other
    for resource in records:
        url = f"/fhir/{resource['resourceType']}/{resource['id']}"
        response = await client.put(url, content=orjson.dumps(resource), headers=FHIR_JSON)
        assert response.status_code in (200, 201), response.text
    return records


def input_of(code: str, **value: Any) -> dict[str, Any]:
    return {"type": {"coding": [{"system": codes.TASK_TYPE, "code": code}]}, **value}


def make_roi_task(
    patient: str,
    purpose: str,
    recipient: str,
    *,
    requester: str | None = None,
    types: Iterable[str] = (),
    period: tuple[str, str] | None = None,
    authorization: str | None = None,
    authored_on: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """An ROI Task for ``patient`` (an id); the requester defaults to the recipient."""
    inputs = [input_of(codes.RESOURCE_TYPE, valueCode=t) for t in types]
    if period is not None:
        inputs.append(
            input_of(codes.DATA_PERIOD, valuePeriod={"start": period[0], "end": period[1]})
        )
    if authorization is not None:
        inputs.append(
            input_of(codes.AUTHORIZATION, valueReference={"reference": f"Consent/{authorization}"})
        )
    task: dict[str, Any] = {
        "resourceType": "Task",
        "status": "requested",
        "intent": "order",
        "code": {"coding": [{"system": codes.TASK_TYPE, "code": codes.RELEASE_OF_INFORMATION}]},
        "for": {"reference": f"Patient/{patient}"},
        "requester": {"reference": requester or recipient},
        "restriction": {"recipient": [{"reference": recipient}]},
        "reasonCode": {"coding": [{"system": c.V3_ACT_REASON, "code": purpose}]},
    }
    if inputs:
        task["input"] = inputs
    if authored_on is not None:
        task["authoredOn"] = authored_on
    task.update(overrides)
    return task


async def file_task(client: httpx.AsyncClient, task: dict[str, Any]) -> dict[str, Any]:
    """POST an ROI Task; return it as stored."""
    await provide_targets(client, task)
    response = await client.post("/fhir/Task", content=orjson.dumps(task), headers=FHIR_JSON)
    assert response.status_code == 201, response.text
    stored: dict[str, Any] = response.json()
    return stored


async def run_release(
    client: httpx.AsyncClient, task_id: str, *, explain: bool = False
) -> dict[str, Any]:
    """POST $release; return the Parameters."""
    suffix = "?_explain=true" if explain else ""
    response = await client.post(f"/fhir/Task/{task_id}/$release{suffix}")
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def parameter(parameters: dict[str, Any], name: str) -> Any:
    """The value[x] (or parts) of the first parameter called ``name``; None if absent."""
    for item in parameters["parameter"]:
        if item["name"] == name:
            if "part" in item:
                return item["part"]
            return next(v for k, v in item.items() if k.startswith("value"))
    return None


def decisions(parameters: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The explained decisions by resource reference: {"effect": ..., "basis": ...}."""
    found: dict[str, dict[str, Any]] = {}
    for item in parameters["parameter"]:
        if item["name"] != "decision":
            continue
        parts = {
            p["name"]: next(v for k, v in p.items() if k.startswith("value")) for p in item["part"]
        }
        found[parts.pop("resource")["reference"]] = parts
    return found


async def released_bundle(client: httpx.AsyncClient, parameters: dict[str, Any]) -> dict[str, Any]:
    """GET the release Bundle the Parameters point at."""
    response = await client.get(f"/fhir/{parameter(parameters, 'release')['reference']}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def references(bundle: dict[str, Any]) -> set[str]:
    return {
        f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle.get("entry", ())
    }
