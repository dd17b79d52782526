"""A path no route serves is a 404 OperationOutcome: never a redirect to a path it made up."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import FHIR_JSON, make_patient

pytestmark = pytest.mark.anyio

UNKNOWN_PATHS = [
    pytest.param("/fhir/Patient/%2e%2e%2f", id="encoded-dot-dot-slash"),
    pytest.param("/fhir/Patient/%2e%2e/", id="encoded-dot-dot-then-slash"),
    pytest.param("/fhir/Patient/1/", id="trailing-slash-on-an-id"),
    pytest.param("/fhir/Patient/", id="trailing-slash-on-a-type"),
    pytest.param("/fhir/", id="fhir-with-trailing-slash"),
    # /fhir itself takes POST (transaction and batch): other methods there are 405
    # (tests/transactions/test_batch_and_limits.py).
    # "/" is the console's home page (tests/console/test_home.py).
    pytest.param("/foo", id="outside-fhir"),
    pytest.param("/foo/", id="outside-fhir-with-slash"),
]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("path", UNKNOWN_PATHS)
async def test_unknown_path_is_a_404_outcome_not_a_redirect(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    body = make_patient(id="1") if method == "PUT" else None

    response = await client.request(method, path, json=body, headers=FHIR_JSON)

    assert response.status_code == 404, (response.status_code, response.headers)
    assert "location" not in response.headers
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "not-found"
