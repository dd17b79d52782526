"""Eligibility needs create on the request and the response, and read on Coverage; under
patient/ scopes only for the launch patient."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.auth.smart_app import bearer, put_all, smart_client
from tests.eligibility.world import COVERAGE, make_request
from tests.registration.world import PAYER, make_patient

pytestmark = pytest.mark.anyio


@pytest.fixture
async def http(store_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with smart_client(store_url, tmp_path) as client:
        resources = [PAYER, make_patient("elig-pat"), make_patient("other"), COVERAGE]
        await put_all(client, [copy.deepcopy(r) for r in resources])
        yield client


@pytest.mark.parametrize(
    ("scope", "patient", "expected"),
    [
        pytest.param("patient/*.cruds", "elig-pat", 201, id="own-patient"),
        pytest.param("patient/*.cruds", "other", 403, id="other-patient"),
        pytest.param("user/CoverageEligibilityRequest.c", None, 403, id="request-only"),
        pytest.param(
            "user/CoverageEligibilityRequest.c user/CoverageEligibilityResponse.c"
            " user/Coverage.r",
            None, 201, id="request-response-coverage",
        ),
    ],
)  # fmt: skip
async def test_eligibility_checks_its_scopes(
    http: httpx.AsyncClient, scope: str, patient: str | None, expected: int
) -> None:
    response = await http.post(
        "/fhir/CoverageEligibilityRequest", json=make_request(), headers=bearer(scope, patient)
    )

    assert response.status_code == expected, response.text
