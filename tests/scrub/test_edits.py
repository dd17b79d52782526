"""Each claim edit on a claim with exactly that fault, and a clean claim with none."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from tests.scrub.claims import (
    COVERAGE,
    HCPCS,
    ICD10CM,
    PATIENT,
    PROVIDER,
    clean_claim,
    edit_codes,
    put,
    store_world,
)

pytestmark = pytest.mark.anyio

Fault = Callable[[httpx.AsyncClient, dict[str, Any]], Awaitable[None]]


def in_claim(change: Callable[[dict[str, Any]], None]) -> Fault:
    async def fault(client: httpx.AsyncClient, claim: dict[str, Any]) -> None:
        change(claim)

    return fault


def stored(template: dict[str, Any], element: str, drop: str, new_id: str, **set_: Any) -> Fault:
    """Store a copy of ``template`` without ``drop`` (and with ``set_``); point the claim at it."""

    async def fault(client: httpx.AsyncClient, claim: dict[str, Any]) -> None:
        resource = copy.deepcopy(template)
        resource.pop(drop, None)
        resource.update(set_, id=new_id)
        await put(client, resource)
        target = claim[element][0]["coverage"] if element == "insurance" else claim[element]
        target["reference"] = f"{resource['resourceType']}/{new_id}"

    return fault


def item(claim: dict[str, Any]) -> dict[str, Any]:
    line: dict[str, Any] = claim["item"][0]
    return line


def five_pointers(claim: dict[str, Any]) -> None:
    codes = ["E11.9", "I10", "J45.909", "R07.9", "K21.9"]
    claim["diagnosis"] = [
        {
            "sequence": n + 1,
            "diagnosisCodeableConcept": {"coding": [{"system": ICD10CM, "code": c}]},
        }
        for n, c in enumerate(codes)
    ]
    item(claim)["diagnosisSequence"] = [1, 2, 3, 4, 5]


def negative_net(claim: dict[str, Any]) -> None:
    item(claim)["net"]["value"] = -5
    claim["total"]["value"] = -5


async def duplicate(client: httpx.AsyncClient, claim: dict[str, Any]) -> None:
    response = await client.post("/fhir/Claim", json=clean_claim())
    assert response.status_code == 201, response.text


CASES = [
    pytest.param(
        "patient-missing",
        in_claim(lambda c: c["patient"].update(reference="Patient/gone")),
        id="patient-missing",
    ),
    pytest.param("patient-name-missing", stored(PATIENT, "patient", "name", "p-noname"), id="name"),
    pytest.param(
        "patient-address-missing",
        stored(PATIENT, "patient", "address", "p-noaddr", address=[{"city": "Austin"}]),
        id="address",
    ),
    pytest.param(
        "patient-birthdate-missing",
        stored(PATIENT, "patient", "birthDate", "p-nobd"),
        id="birth-date",
    ),
    pytest.param(
        "patient-gender-missing", stored(PATIENT, "patient", "gender", "p-nogender"), id="gender"
    ),
    pytest.param(
        "coverage-missing",
        in_claim(lambda c: c["insurance"][0]["coverage"].update(reference="Coverage/none")),
        id="no-coverage",
    ),
    pytest.param(
        "coverage-inactive",
        stored(
            COVERAGE,
            "insurance",
            "",
            "c-lapsed",
            period={"start": "2025-01-01", "end": "2026-03-31"},
        ),
        id="coverage-lapsed",
    ),
    pytest.param(
        "subscriber-id-missing",
        stored(COVERAGE, "insurance", "subscriberId", "c-nosub"),
        id="subscriber-id",
    ),
    pytest.param("npi-missing", stored(PROVIDER, "provider", "identifier", "o-nonpi"), id="no-npi"),
    pytest.param(
        "npi-invalid",
        stored(
            PROVIDER,
            "provider",
            "",
            "o-badnpi",
            identifier=[{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567890"}],
        ),
        id="npi-check-digit",
    ),
    pytest.param(
        "icd10cm-unknown",
        in_claim(
            lambda c: c["diagnosis"][0]["diagnosisCodeableConcept"]["coding"][0].update(
                code="U99.9"
            )
        ),
        id="icd10-unknown",
    ),
    pytest.param(
        "icd10cm-not-billable",
        in_claim(
            lambda c: c["diagnosis"][0]["diagnosisCodeableConcept"]["coding"][0].update(code="E11")
        ),
        id="icd10-category",
    ),
    pytest.param(
        "cpt-malformed",
        in_claim(lambda c: item(c)["productOrService"]["coding"][0].update(code="9921")),
        id="cpt",
    ),
    pytest.param(
        "hcpcs-malformed",
        in_claim(
            lambda c: item(c)["productOrService"].update(coding=[{"system": HCPCS, "code": "J12"}])
        ),
        id="hcpcs",
    ),
    pytest.param(
        "modifier-malformed",
        in_claim(lambda c: item(c)["modifier"][0]["coding"][0].update(code="2")),
        id="modifier",
    ),
    pytest.param(
        "diagnosis-pointer-invalid",
        in_claim(lambda c: item(c).update(diagnosisSequence=[2])),
        id="pointer-nowhere",
    ),
    pytest.param("diagnosis-pointers-excess", in_claim(five_pointers), id="five-pointers"),
    pytest.param(
        "service-date-outside-period",
        in_claim(lambda c: c["billablePeriod"].update(end="2026-05-05", start="2026-05-05")),
        id="outside-billable-period",
    ),
    pytest.param(
        "quantity-not-positive",
        in_claim(lambda c: item(c)["quantity"].update(value=0)),
        id="quantity",
    ),
    pytest.param(
        "charge-not-positive",
        in_claim(lambda c: item(c)["unitPrice"].update(value=0)),
        id="charge",
    ),
    pytest.param("net-not-positive", in_claim(negative_net), id="net"),
    pytest.param("total-mismatch", in_claim(lambda c: c["total"].update(value=100)), id="total"),
    pytest.param("duplicate-probable", duplicate, id="duplicate"),
]


@pytest.fixture(autouse=True)
async def world(client: httpx.AsyncClient) -> None:
    await store_world(client)


async def test_a_clean_claim_has_no_edits(client: httpx.AsyncClient) -> None:
    response = await client.post("/fhir/Claim/$scrub", json=clean_claim())

    assert response.status_code == 200, response.text
    outcome = response.json()
    assert edit_codes(outcome) == []
    assert [i["severity"] for i in outcome["issue"]] == ["information"]


@pytest.mark.parametrize(("code", "fault"), CASES)
async def test_a_claim_with_one_fault_has_exactly_that_edit(
    client: httpx.AsyncClient, code: str, fault: Fault
) -> None:
    claim = clean_claim()
    await fault(client, claim)

    response = await client.post("/fhir/Claim/$scrub", json=claim)

    assert response.status_code == 200, response.text
    assert edit_codes(response.json()) == [code]
    issue = response.json()["issue"][0]
    assert issue["severity"] in {"error", "warning"}
    assert issue["expression"][0].startswith("Claim")
