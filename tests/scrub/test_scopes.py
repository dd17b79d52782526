"""$scrub and $scrub-worklist need unconfined read scopes (a billing office's work)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.auth.smart_app import bearer, smart_client
from tests.scrub.claims import clean_claim

pytestmark = pytest.mark.anyio


@pytest.fixture
async def http(store_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with smart_client(store_url, tmp_path) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "scope", "expected"),
    [
        pytest.param("POST", "/fhir/Claim/$scrub", "patient/*.rs", 403, id="scrub-patient"),
        pytest.param("POST", "/fhir/Claim/$scrub", "user/Claim.rs", 403, id="scrub-claim-only"),
        pytest.param("POST", "/fhir/Claim/$scrub", "user/*.rs", 200, id="scrub-user"),
        pytest.param(
            "GET", "/fhir/Claim/$scrub-worklist", "patient/Claim.rs", 403, id="worklist-patient"
        ),
        pytest.param("GET", "/fhir/Claim/$scrub-worklist", "system/Claim.s", 200, id="worklist"),
    ],
)
async def test_scrub_operations_check_their_scopes(
    http: httpx.AsyncClient, method: str, path: str, scope: str, expected: int
) -> None:
    body = clean_claim() if method == "POST" else None
    response = await http.request(method, path, json=body, headers=bearer(scope, "scrub-pat"))

    assert response.status_code == expected, response.text
