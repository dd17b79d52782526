"""A CoverageEligibilityRequest posted in a transaction or batch is answered as a POST is:
its CoverageEligibilityResponse stored with it, from the coverage on file (and from the
coverages the same transaction writes)."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests.eligibility.world import COVERAGE, make_request, store_on_file
from tests.registration.world import PAYER, make_patient, put

pytestmark = pytest.mark.anyio


@pytest.fixture
async def on_file(client: httpx.AsyncClient) -> httpx.AsyncClient:
    await store_on_file(client)
    return client


def posted(*resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [
            {
                "fullUrl": f"urn:uuid:00000000-0000-4000-8000-00000000000{n}",
                "resource": resource,
                "request": {"method": "POST", "url": resource["resourceType"]},
            }
            for n, resource in enumerate(resources)
        ],
    }


async def responses_to(client: httpx.AsyncClient, location: str) -> list[dict[str, Any]]:
    request = "/".join(location.split("/_history/")[0].split("/")[-2:])
    found = await client.get("/fhir/CoverageEligibilityResponse", params={"request": request})
    assert found.status_code == 200, found.text
    return [e["resource"] for e in found.json().get("entry", [])]


@pytest.mark.parametrize(
    ("kind", "served", "inforce"),
    [
        pytest.param("batch", "2026-05-04", True, id="batch-in-force"),
        pytest.param("batch", "2026-08-04", False, id="batch-lapsed"),
        pytest.param("transaction", "2026-05-04", True, id="transaction-in-force"),
    ],
)
async def test_an_entry_is_answered_and_its_response_stored(
    on_file: httpx.AsyncClient, store_url: str, kind: str, served: str, inforce: bool
) -> None:
    if kind == "transaction" and store_url.startswith("memory:"):
        pytest.skip("memory:// refuses transaction Bundles (no transactions)")

    answer = await on_file.post("/fhir", json=posted(make_request(servicedDate=served), kind=kind))

    assert answer.status_code == 200, answer.text
    (entry,) = answer.json()["entry"]
    assert entry["response"]["status"].startswith("201")
    (response,) = await responses_to(on_file, entry["response"]["location"])
    assert response["outcome"] == "complete"
    assert [i["inforce"] for i in response["insurance"]] == [inforce]
    assert "not the payer's live system" in response["disposition"]


async def test_a_transaction_answers_from_the_coverage_it_writes(
    client: httpx.AsyncClient, store_url: str
) -> None:
    if store_url.startswith("memory:"):
        pytest.skip("memory:// refuses transaction Bundles (no transactions)")
    await put(client, copy.deepcopy(PAYER))
    await put(client, make_patient("elig-pat"))
    coverage = {k: v for k, v in copy.deepcopy(COVERAGE).items() if k != "id"}
    bundle = posted(coverage, make_request(insurance=[]), kind="transaction")

    answer = await client.post("/fhir", json=bundle)

    assert answer.status_code == 200, answer.text
    request_entry = answer.json()["entry"][1]
    (response,) = await responses_to(client, request_entry["response"]["location"])
    assert [i["inforce"] for i in response["insurance"]] == [True]
