"""Merges move the record: ADT^A40/A34/A39/A47 and ``POST /fhir/Patient/$merge``.

Every current resource that references the retired Patient is repointed to the
survivor (a new version each) in the merge's own write, and a Provenance names the
merge; the retired Patient keeps ``replaced-by``, the survivor ``replaces`` and the
retired identifiers with ``use = old``.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from mappers.identity import deterministic_id
from server.hl7v2.ingest.model import Outcome
from server.hl7v2.ingest.service import Ingestor
from server.search.query import SearchQuery
from server.storage.port import Store
from tests.conftest import FHIR_JSON, make_claim, make_patient
from tests.ingest.factories import service_on

pytestmark = pytest.mark.anyio

RETIRED = deterministic_id("Patient", "urn:fhirport:id:north", "MRN1")
SURVIVOR = deterministic_id("Patient", "urn:fhirport:id:north", "MRN2")


def message(control_id: str, *segments: str, event: str, when: str) -> bytes:
    structure = "ADT_A39" if event in ("A40", "A39", "A47") else "ADT_A01"
    lines = [
        f"MSH|^~\\&|LEGACY|NORTH|FHIRPORT|HOSP|{when}||ADT^{event}^{structure}|{control_id}|P|2.5.1",
        f"EVN|{event}|{when}",
        *segments,
    ]
    return "\r".join(lines).encode()


def referrers(patient_id: str) -> list[dict[str, Any]]:
    """An appointment, a coverage, a claim and a consent of one patient."""
    reference = {"reference": f"Patient/{patient_id}"}
    return [
        {
            "resourceType": "Appointment",
            "status": "booked",
            "participant": [{"actor": reference, "status": "accepted"}],
        },
        {
            "resourceType": "Coverage",
            "status": "active",
            "beneficiary": reference,
            "payor": [reference],
        },
        make_claim(f"Patient/{patient_id}"),
        {
            "resourceType": "Consent",
            "status": "active",
            "scope": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                        "code": "patient-privacy",
                    }
                ]
            },
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
            "patient": reference,
        },
    ]


async def everything(store: Store, resource_type: str) -> list[dict[str, Any]]:
    page = await store.search(SearchQuery(resource_type=resource_type, count=100))
    return [orjson.loads(v.body) for v in page.versions if v.body is not None]


async def test_an_a40_repoints_every_resource_of_the_retired_patient(store: Store) -> None:
    service = service_on(store)
    ingestor = Ingestor(service)
    for number, mrn in ((1, "MRN1"), (2, "MRN2")):
        pid = f"PID|1||{mrn}^^^NORTH^MR||Doe^Ann||19800214|F"
        outcome = await ingestor.ingest(message(f"R{number}", pid, event="A04", when="20240101"))
        assert outcome.outcome is Outcome.APPLIED
    made = [await service.create(r["resourceType"], r) for r in referrers(RETIRED)]

    merge = await ingestor.ingest(
        message(
            "M1",
            "PID|1||MRN2^^^NORTH^MR||Doe^Ann||19800214|F",
            "MRG|MRN1^^^NORTH^MR",
            event="A40",
            when="20350101",
        )
    )

    assert merge.outcome is Outcome.APPLIED
    for created in made:
        version = created.version
        stored = await store.read(version.resource_type, version.id)
        assert stored is not None
        assert stored.body is not None
        assert stored.version == 2
        assert f"Patient/{RETIRED}".encode() not in stored.body
        assert f"Patient/{SURVIVOR}".encode() in stored.body
    (provenance,) = await everything(store, "Provenance")
    assert provenance["entity"][0]["what"]["identifier"]["value"] == "urn:hl7v2:LEGACY|NORTH#M1"
    targets = {t["reference"].split("/_history")[0] for t in provenance["target"]}
    assert {f"{c.version.resource_type}/{c.version.id}" for c in made} <= targets


async def test_an_a47_moves_the_record_to_the_new_identifier(store: Store) -> None:
    service = service_on(store)
    ingestor = Ingestor(service)
    pid = "PID|1||MRN1^^^NORTH^MR||Doe^Ann||19800214|F"
    await ingestor.ingest(message("R1", pid, event="A04", when="20240101"))
    made = await service.create("Appointment", referrers(RETIRED)[0])

    change = await ingestor.ingest(
        message("M1", "PID|1||MRN2^^^NORTH^MR", "MRG|MRN1^^^NORTH^MR", event="A47", when="20350101")
    )

    assert change.outcome is Outcome.APPLIED
    stored = await store.read("Appointment", made.version.id)
    assert stored is not None
    assert stored.body is not None
    assert f"Patient/{SURVIVOR}".encode() in stored.body


async def post_merge(client: httpx.AsyncClient, *parameters: dict[str, Any]) -> httpx.Response:
    body = {"resourceType": "Parameters", "parameter": list(parameters)}
    return await client.post("/fhir/Patient/$merge", json=body, headers=FHIR_JSON)


def ref(name: str, patient_id: str) -> dict[str, Any]:
    return {"name": name, "valueReference": {"reference": f"Patient/{patient_id}"}}


async def create(client: httpx.AsyncClient, resource: dict[str, Any]) -> str:
    answer = await client.post(f"/fhir/{resource['resourceType']}", json=resource)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def claim_targets(client: httpx.AsyncClient, patient_id: str) -> None:
    """The provider and coverage ``make_claim`` names (references must resolve over REST)."""
    organization = {"resourceType": "Organization", "id": "org1", "name": "Payer"}
    coverage = {**referrers(patient_id)[1], "id": "cov1"}
    for resource in (organization, coverage):
        url = f"/fhir/{resource['resourceType']}/{resource['id']}"
        answer = await client.put(url, json=resource, headers=FHIR_JSON)
        assert answer.status_code in (200, 201), answer.text


async def test_merge_operation_preview_changes_nothing(client: httpx.AsyncClient) -> None:
    source = await create(client, make_patient())
    target = await create(client, make_patient(identifier=[{"system": "urn:x", "value": "2"}]))
    appointment = await create(client, referrers(source)[0])

    answer = await post_merge(
        client,
        ref("source-patient", source),
        ref("target-patient", target),
        {"name": "preview", "valueBoolean": True},
    )

    assert answer.status_code == 200, answer.text
    names = [p["name"] for p in answer.json()["parameter"]]
    assert "result" in names
    assert "outcome" in names
    stored = (await client.get(f"/fhir/Appointment/{appointment}")).json()
    assert stored["meta"]["versionId"] == "1"
    assert "link" not in (await client.get(f"/fhir/Patient/{source}")).json()


async def test_merge_operation_moves_the_record(client: httpx.AsyncClient) -> None:
    source = await create(client, make_patient())
    target = await create(client, make_patient(identifier=[{"system": "urn:x", "value": "2"}]))
    await claim_targets(client, target)
    made = [await create(client, r) for r in referrers(source)]

    answer = await post_merge(client, ref("source-patient", source), ref("target-patient", target))

    assert answer.status_code == 200, answer.text
    for resource_type, resource_id in zip(
        ("Appointment", "Coverage", "Claim", "Consent"), made, strict=True
    ):
        stored = (await client.get(f"/fhir/{resource_type}/{resource_id}")).json()
        assert f"Patient/{target}" in orjson.dumps(stored).decode()
        assert f"Patient/{source}" not in orjson.dumps(stored).decode()
    retired = (await client.get(f"/fhir/Patient/{source}")).json()
    assert retired["link"] == [{"other": {"reference": f"Patient/{target}"}, "type": "replaced-by"}]
    survivor = (await client.get(f"/fhir/Patient/{target}")).json()
    assert {"system": "urn:oid:2.16.840.1.113883.3.9999.1", "value": "MRN-1", "use": "old"} in (
        survivor["identifier"]
    )
    capability = (await client.get("/fhir/metadata")).json()
    patient = next(r for r in capability["rest"][0]["resource"] if r["type"] == "Patient")
    assert "merge" in [o["name"] for o in patient.get("operation", [])]


async def test_merge_operation_needs_both_patients(client: httpx.AsyncClient) -> None:
    source = await create(client, make_patient())

    answer = await post_merge(client, ref("source-patient", source))

    assert answer.status_code == 400
    issue = answer.json()["issue"][0]
    assert issue["expression"] == ["Parameters.parameter"]


async def test_an_a37_undoes_the_link_an_a24_made(store: Store) -> None:
    ingestor = Ingestor(service_on(store))
    for number, mrn in ((1, "MRN1"), (2, "MRN2")):
        pid = f"PID|1||{mrn}^^^NORTH^MR||Doe^Ann"
        await ingestor.ingest(message(f"R{number}", pid, event="A04", when="20240101"))
    pair = ("PID|1||MRN2^^^NORTH^MR", "PID|2||MRN1^^^NORTH^MR")

    linked = await ingestor.ingest(message("L1", *pair, event="A24", when="20240102"))

    assert linked.outcome is Outcome.APPLIED
    first = await everything(store, "Patient")
    links = {p["id"]: p.get("link") for p in first}
    assert links[SURVIVOR] == [{"other": {"reference": f"Patient/{RETIRED}"}, "type": "seealso"}]
    assert links[RETIRED] == [{"other": {"reference": f"Patient/{SURVIVOR}"}, "type": "seealso"}]

    unlinked = await ingestor.ingest(message("U1", *pair, event="A37", when="20240103"))

    assert unlinked.outcome is Outcome.APPLIED
    assert all("link" not in p for p in await everything(store, "Patient"))
