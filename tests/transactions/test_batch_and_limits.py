"""Batches, the limits on a Bundle, the CapabilityStatement, and stores without transactions."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from server.settings import Settings
from tests.conftest import STORE_KINDS, make_patient, store_url_for
from tests.transactions.conftest import (
    FHIR_JSON,
    bundle,
    client_with,
    coverage,
    entry,
    ids_of,
    post_bundle,
    transaction,
    urn,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(params=STORE_KINDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Batches run on every store, memory:// included."""
    return store_url_for(str(request.param), tmp_path)


async def test_capability_statement_lists_transaction_and_batch(
    client: httpx.AsyncClient,
) -> None:
    statement = (await client.get("/fhir/metadata")).json()
    codes = {i["code"] for i in statement["rest"][0]["interaction"]}
    assert {"transaction", "batch"} <= codes


async def test_batch_entries_are_independent(client: httpx.AsyncClient) -> None:
    response = await post_bundle(
        client,
        bundle(
            "batch",
            entry("POST", "Patient", make_patient()),
            entry("POST", "Patient", make_patient(gender="neither")),
            entry("GET", "Patient/nobody"),
            entry("POST", "Patient", make_patient(gender="female")),
        ),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "batch-response"
    statuses = [e["response"]["status"] for e in body["entry"]]
    assert statuses == ["201 Created", "400 Bad Request", "404 Not Found", "201 Created"]
    failed = body["entry"][1]["response"]["outcome"]
    assert failed["issue"][0]["expression"][0].startswith("Bundle.entry[1].resource.gender")
    assert len(await ids_of(client, "Patient")) == 2


async def test_a_reference_between_batch_entries_is_an_error_of_that_entry(
    client: httpx.AsyncClient,
) -> None:
    pat = urn()
    response = await post_bundle(
        client,
        bundle(
            "batch",
            entry("POST", "Patient", make_patient(), full_url=pat),
            entry("POST", "Coverage", coverage(pat)),
        ),
    )
    assert response.status_code == 200, response.text
    made, refused = response.json()["entry"]
    assert made["response"]["status"] == "201 Created"
    assert refused["response"]["status"] == "400 Bad Request"
    issue = refused["response"]["outcome"]["issue"][0]
    assert issue["expression"] == ["Bundle.entry[1].resource.beneficiary"]
    assert await ids_of(client, "Coverage") == []


@pytest.mark.parametrize(
    "document",
    [
        pytest.param({"resourceType": "Patient"}, id="not-a-bundle"),
        pytest.param({"resourceType": "Bundle", "type": "collection"}, id="collection"),
        pytest.param(
            {"resourceType": "Bundle", "type": "batch", "entry": {}}, id="entry-not-array"
        ),
        pytest.param(
            transaction({"request": {"method": "FETCH", "url": "Patient"}}), id="bad-method"
        ),
        pytest.param(transaction({"request": {"method": "GET"}}), id="no-url"),
        pytest.param(
            transaction({"request": {"method": "POST", "url": "Patient"}}), id="post-no-resource"
        ),
        pytest.param(
            transaction({"request": {"method": "PUT", "url": "Patient"}, "resource": {}}),
            id="put-without-id-or-criteria",
        ),
        pytest.param(
            transaction({"request": {"method": "GET", "url": "http://elsewhere.example/Patient"}}),
            id="url-of-another-server",
        ),
    ],
)
async def test_a_malformed_bundle_is_a_400_outcome(
    client: httpx.AsyncClient, document: dict[str, object]
) -> None:
    response = await post_bundle(client, document)  # type: ignore[arg-type]
    assert response.status_code == 400, response.text
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_an_unknown_type_in_a_transaction_is_404(client: httpx.AsyncClient) -> None:
    response = await post_bundle(client, transaction(entry("GET", "Nothing/1")))
    assert response.status_code in (400, 404), response.text
    assert response.json()["issue"][0]["expression"] == ["Bundle.entry[0].request.url"]


async def test_more_entries_than_the_limit_is_413(settings: Settings) -> None:
    async with client_with(settings, max_bundle_entries=2) as http:
        three = bundle("batch", *[entry("POST", "Patient", make_patient())] * 3)
        response = await post_bundle(http, three)
        assert response.status_code == 413, response.text
        assert response.json()["issue"][0]["code"] == "too-long"
        assert await ids_of(http, "Patient") == []


async def test_a_body_past_the_size_limit_is_413(settings: Settings) -> None:
    async with client_with(settings, max_body_bytes=2000) as http:
        many = bundle("batch", *[entry("POST", "Patient", make_patient())] * 20)
        response = await post_bundle(http, many)
        assert response.status_code == 413, response.text
        assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_other_methods_on_the_base_are_405_outcomes(
    client: httpx.AsyncClient, method: str
) -> None:
    response = await client.request(method, "/fhir", content=b"{}", headers=FHIR_JSON)
    assert response.status_code == 405, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
