"""$validate under access control: the token needs what the write would need."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.auth.smart_app import bearer, patient, put_all, smart_client
from tests.everything.records import encounter

pytestmark = pytest.mark.anyio


@pytest.fixture
async def http(store_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with smart_client(store_url, tmp_path) as client:
        await put_all(client, [patient("p1"), patient("p2")])
        yield client


@pytest.mark.parametrize(
    ("path", "resource", "mode", "scope", "status"),
    [
        pytest.param("Encounter", encounter("e", "p1"), None, "patient/Encounter.c", 200, id="own"),
        pytest.param(
            "Encounter", encounter("e", "p2"), None, "patient/Encounter.c", 403, id="other"
        ),
        pytest.param(
            "Encounter", encounter("e", "p1"), None, "patient/Encounter.rs", 403, id="no-c"
        ),
        pytest.param("Patient/p1", None, "delete", "patient/Patient.d", 200, id="delete-own"),
        pytest.param("Patient/p2", None, "delete", "patient/Patient.d", 403, id="delete-other"),
        pytest.param("Patient/p1", None, "delete", "patient/Patient.cu", 403, id="delete-no-d"),
    ],
)
async def test_the_token_decides(
    http: httpx.AsyncClient,
    path: str,
    resource: dict[str, object] | None,
    mode: str | None,
    scope: str,
    status: int,
) -> None:
    headers = bearer(scope, patient="p1")
    params = {"mode": mode} if mode else {}
    response = await http.post(
        f"/fhir/{path}/$validate", json=resource, params=params, headers=headers
    )

    assert response.status_code == status, response.text
