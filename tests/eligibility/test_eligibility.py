"""POST CoverageEligibilityRequest: answered (and stored) from the coverage on file."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests.eligibility.world import make_request, store_on_file
from tests.registration.world import PAYER, make_patient, put

pytestmark = pytest.mark.anyio

ON_FILE = "https://fhirport.dev/fhir/StructureDefinition/coverage-on-file"
ERRORS = "https://fhirport.dev/CodeSystem/eligibility-error"


@pytest.fixture
async def on_file(client: httpx.AsyncClient) -> httpx.AsyncClient:
    await store_on_file(client)
    return client


def on_file_details(insurance: dict[str, Any]) -> dict[str, Any]:
    [extension] = [e for e in insurance["extension"] if e["url"] == ON_FILE]
    return {
        e["url"]: next(v for k, v in e.items() if k.startswith("value"))
        for e in extension["extension"]
    }


async def test_eligibility_on_the_coverage_period(on_file: httpx.AsyncClient) -> None:
    response = await on_file.post("/fhir/CoverageEligibilityRequest", json=make_request())

    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["resourceType"] == "CoverageEligibilityResponse"
    assert answer["outcome"] == "complete"
    assert "coverage on file" in answer["disposition"]
    assert "not the payer's live system" in answer["disposition"]
    [insurance] = answer["insurance"]
    assert insurance["coverage"]["reference"] == "Coverage/elig-cov"
    assert insurance["inforce"] is True
    assert insurance["benefitPeriod"] == {"start": "2026-01-01", "end": "2026-06-30"}
    details = on_file_details(insurance)
    assert details["payor"] == {"reference": "Organization/reg-payer"}
    assert details["plan"] == "GOLD-PPO (Gold PPO)"
    assert details["subscriber"] == {"reference": "Patient/elig-pat"}
    assert details["subscriberId"] == "XJH123"
    assert details["relationship"]["coding"][0]["code"] == "self"
    assert details["status"] == "active"


async def test_eligibility_off_the_coverage_period(on_file: httpx.AsyncClient) -> None:
    request = make_request(servicedDate="2026-08-15")

    response = await on_file.post("/fhir/CoverageEligibilityRequest", json=request)

    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["outcome"] == "complete"
    [insurance] = answer["insurance"]
    assert insurance["inforce"] is False
    assert "ended on 2026-06-30" in answer["disposition"]


async def test_a_period_of_service_must_lie_within_the_coverage(
    on_file: httpx.AsyncClient,
) -> None:
    request = make_request(servicedPeriod={"start": "2026-06-20", "end": "2026-07-10"})
    request.pop("servicedDate")

    response = await on_file.post("/fhir/CoverageEligibilityRequest", json=request)

    assert response.json()["insurance"][0]["inforce"] is False


async def test_without_insurance_the_patients_coverages_are_checked(
    on_file: httpx.AsyncClient,
) -> None:
    request = make_request()
    request.pop("insurance")

    response = await on_file.post("/fhir/CoverageEligibilityRequest", json=request)

    [insurance] = response.json()["insurance"]
    assert insurance["coverage"]["reference"] == "Coverage/elig-cov"
    assert insurance["inforce"] is True


async def test_no_coverage_on_file_is_an_error_outcome(client: httpx.AsyncClient) -> None:
    await put(client, copy.deepcopy(PAYER))
    await put(client, make_patient("elig-pat"))
    request = make_request()
    request.pop("insurance")

    response = await client.post("/fhir/CoverageEligibilityRequest", json=request)

    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["outcome"] == "error"
    assert "insurance" not in answer
    [error] = answer["error"]
    assert error["code"]["coding"][0] == {"system": ERRORS, "code": "coverage-not-found"}


async def test_the_request_and_response_are_stored_together(on_file: httpx.AsyncClient) -> None:
    response = await on_file.post("/fhir/CoverageEligibilityRequest", json=make_request())
    answer = response.json()

    request_path = response.headers["location"].split("/fhir/")[1].split("/_history")[0]
    stored_request = await on_file.get(f"/fhir/{request_path}")
    stored_answer = await on_file.get(f"/fhir/CoverageEligibilityResponse/{answer['id']}")

    assert stored_request.status_code == 200, stored_request.text
    assert stored_answer.json()["request"] == {"reference": request_path}
    assert answer["request"] == {"reference": request_path}
    assert response.headers["content-location"].endswith(
        f"/CoverageEligibilityResponse/{answer['id']}/_history/1"
    )


async def test_an_invalid_request_stores_nothing(on_file: httpx.AsyncClient) -> None:
    request = make_request()
    request.pop("patient")

    response = await on_file.post("/fhir/CoverageEligibilityRequest", json=request)
    stored = await on_file.get("/fhir/CoverageEligibilityResponse")

    assert response.status_code in (400, 422), response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    assert stored.json().get("total", 0) == 0
