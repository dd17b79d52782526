"""Audit completeness: after a mixed session, every request has exactly one AuditEvent."""

from __future__ import annotations

from typing import Any

import pytest

from tests.audit.conftest import (
    CLIENT_ADDRESS,
    Audited,
    client_agent,
    entity_references,
    patients,
    query_of,
    subtype,
)
from tests.conftest import make_patient
from tests.ingest.messages import adt

pytestmark = pytest.mark.anyio
ER7 = {"Content-Type": "x-application/hl7-v2+er7"}
FHIR_JSON = {"Content-Type": "application/fhir+json"}


def appointment(patient_id: str) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "participant": [{"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"}],
    }


async def test_every_request_has_one_event_with_its_outcome_and_patients(
    audited: Audited,
) -> None:
    http = audited.http
    first = (await http.post("/fhir/Patient", json=make_patient())).json()["id"]
    second = (await http.post("/fhir/Patient", json=make_patient())).json()["id"]
    booked = (await http.post("/fhir/Appointment", json=appointment(first))).json()["id"]
    steps: list[tuple[str, str, str]] = [  # (subtype, action, outcome) of each request above
        ("create", "C", "0"),
        ("create", "C", "0"),
        ("create", "C", "0"),
    ]

    async def step(code: str, action: str, outcome: str, status: int, response: Any) -> None:
        assert response.status_code == status, response.text
        steps.append((code, action, outcome))

    await step("read", "R", "0", 200, await http.get(f"/fhir/Appointment/{booked}"))
    await step("vread", "R", "0", 200, await http.get(f"/fhir/Patient/{first}/_history/1"))
    await step("search-type", "R", "0", 200, await http.get("/fhir/Appointment?status=booked"))
    updated = make_patient(id=second, gender="female")
    await step("update", "U", "0", 200, await http.put(f"/fhir/Patient/{second}", json=updated))
    await step("delete", "D", "0", 204, await http.delete(f"/fhir/Patient/{second}"))
    await step("read", "R", "4", 410, await http.get(f"/fhir/Patient/{second}"))
    await step("read", "R", "4", 404, await http.get("/fhir/Patient/unknown"))
    await step(
        "create", "C", "4", 400, await http.post("/fhir/Patient", content=b"{", headers=FHIR_JSON)
    )
    await step("operation", "E", "0", 200, await http.get(f"/fhir/Patient/{first}/$disclosures"))
    ingest = await http.post("/fhir/$hl7v2-ingest", content=adt("AUD1", mrn="AUD-1"), headers=ER7)
    await step("operation", "E", "0", 200, ingest)
    await step("history-instance", "R", "0", 200, await http.get(f"/fhir/Patient/{first}/_history"))
    await step("capabilities", "R", "0", 200, await http.get("/fhir/metadata"))

    events = await audited.events()

    assert [(subtype(e), e["action"], e["outcome"]) for e in events] == steps
    for event in events:
        assert event["type"]["code"] == "rest"
        assert client_agent(event)["network"]["address"] == CLIENT_ADDRESS
        assert event["source"]["observer"]["display"] == "fhirport"
    by_step = dict(enumerate(events))
    assert patients(by_step[3]) == {f"Patient/{first}"}  # the Appointment's patient
    assert patients(by_step[5]) == {f"Patient/{first}"}  # the search returned her data
    assert query_of(by_step[5]) == "status=booked"
    assert patients(by_step[6]) == {f"Patient/{second}"}
    assert f"Patient/{second}" in entity_references(by_step[7])
    ingested = by_step[12]
    assert [s["code"] for s in ingested["subtype"]] == ["operation", "A04"]
    assert any(r.startswith("Patient/") for r in patients(ingested))


async def test_who_looked_at_a_patient_is_a_search_by_patient(audited: Audited) -> None:
    http = audited.http
    mine = (await http.post("/fhir/Patient", json=make_patient())).json()["id"]
    other = (await http.post("/fhir/Patient", json=make_patient())).json()["id"]
    await http.post("/fhir/Appointment", json=appointment(mine))
    await http.get(f"/fhir/Patient/{other}")
    await http.get("/fhir/Appointment")
    await audited.trail.flush()

    response = await http.get(f"/fhir/AuditEvent?patient=Patient/{mine}&_sort=date")

    assert response.status_code == 200
    found = [e["resource"] for e in response.json()["entry"]]
    assert [subtype(e) for e in found] == ["create", "create", "search-type"]


@pytest.mark.parametrize(
    ("params", "count"),
    [
        pytest.param({"subtype": "create"}, 2, id="subtype"),
        pytest.param({"outcome": "4"}, 1, id="outcome"),
        pytest.param({"type": "rest"}, 4, id="type"),
        pytest.param({"action": "R"}, 2, id="action"),
        pytest.param({"address": CLIENT_ADDRESS}, 4, id="address"),
        pytest.param({"date": "gt2000-01-01"}, 4, id="date"),
        pytest.param({"source:identifier": "http://127.0.0.1:8080/fhir"}, 4, id="source"),
    ],
)
async def test_events_are_searchable(audited: Audited, params: dict[str, str], count: int) -> None:
    http = audited.http
    created = (await http.post("/fhir/Patient", json=make_patient())).json()["id"]
    await http.post("/fhir/Patient", json=make_patient())
    await http.get(f"/fhir/Patient/{created}")
    await http.get("/fhir/Patient/nobody")
    await audited.trail.flush()

    response = await http.get("/fhir/AuditEvent", params=params)

    assert response.status_code == 200, response.text
    assert len(response.json().get("entry", [])) == count


async def test_entity_search_finds_the_events_of_a_resource(audited: Audited) -> None:
    http = audited.http
    created = (await http.post("/fhir/Patient", json=make_patient())).json()["id"]
    await http.get(f"/fhir/Patient/{created}")
    await audited.trail.flush()

    response = await http.get(f"/fhir/AuditEvent?entity=Patient/{created}")

    assert [subtype(e["resource"]) for e in response.json()["entry"]] == ["create", "read"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
async def test_audit_events_stay_read_only(audited: Audited, method: str) -> None:
    event = {"resourceType": "AuditEvent", "id": "x"}
    path = "/fhir/AuditEvent" if method == "POST" else "/fhir/AuditEvent/x"

    response = await audited.http.request(method, path, json=event)

    assert response.status_code == 405
