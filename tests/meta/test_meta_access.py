"""$meta under access control: reads need read, changes need update, in the token's compartment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.auth.smart_app import bearer, patient, put_all, smart_client
from tests.meta.test_meta import RESTRICTED, VIP, parameters

pytestmark = pytest.mark.anyio


@pytest.fixture
async def http(store_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with smart_client(store_url, tmp_path) as client:
        mine = {**patient("p1"), "meta": {"tag": [VIP]}}
        theirs = {**patient("p2"), "meta": {"security": [RESTRICTED]}}
        await put_all(client, [mine, theirs])
        yield client


@pytest.mark.parametrize(
    ("method", "path", "scope", "status"),
    [
        pytest.param("GET", "/fhir/Patient/p1/$meta", "patient/Patient.r", 200, id="read-own"),
        pytest.param("GET", "/fhir/Patient/p2/$meta", "patient/Patient.r", 404, id="read-other"),
        pytest.param("GET", "/fhir/Patient/p1/$meta", "patient/Claim.r", 403, id="read-no-scope"),
        pytest.param("POST", "/fhir/Patient/p1/$meta-add", "patient/Patient.ru", 200, id="add-own"),
        pytest.param(
            "POST", "/fhir/Patient/p2/$meta-add", "patient/Patient.ru", 404, id="add-other"
        ),
        pytest.param(
            "POST", "/fhir/Patient/p1/$meta-add", "patient/Patient.r", 403, id="add-read-only"
        ),
        pytest.param(
            "POST", "/fhir/Patient/p1/$meta-delete", "patient/Patient.r", 403, id="delete-read-only"
        ),
    ],
)
async def test_the_token_decides(
    http: httpx.AsyncClient, method: str, path: str, scope: str, status: int
) -> None:
    body = parameters(tag=[{"system": "http://example.org/tags", "code": "new"}])
    response = await http.request(method, path, json=body, headers=bearer(scope, patient="p1"))

    assert response.status_code == status, response.text


async def test_a_patient_token_sees_the_meta_in_use_in_its_compartment_only(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/fhir/Patient/$meta", headers=bearer("patient/Patient.rs", "p1"))

    assert response.status_code == 200
    assert response.json()["parameter"][0]["valueMeta"] == {"tag": [VIP]}
