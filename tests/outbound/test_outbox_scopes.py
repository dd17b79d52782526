"""``$hl7v2-outbox`` needs what ``$hl7v2-ledger`` needs: read on every type HL7v2 writes,
by user/ or system/ scopes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.auth.smart_app import bearer, smart_client

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("scope", "status"),
    [
        pytest.param("system/Patient.rs", 403, id="one-type"),
        pytest.param("patient/*.rs", 403, id="patient-scope"),
        pytest.param("system/*.rs", 200, id="system-read"),
        pytest.param("user/*.read", 200, id="user-read"),
    ],
)
async def test_the_outbox_needs_read_on_every_hl7v2_type(
    store_url: str, tmp_path: Path, scope: str, status: int
) -> None:
    async with smart_client(store_url, tmp_path) as http:
        response = await http.get("/fhir/$hl7v2-outbox", headers=bearer(scope, patient="p1"))

    assert response.status_code == status, response.text


REQUEUE = {"resourceType": "Parameters", "parameter": [{"name": "id", "valueString": "x"}]}


@pytest.mark.parametrize(
    ("scope", "status"),
    [
        pytest.param("system/*.rs", 403, id="read-only"),
        pytest.param("patient/*.cruds", 403, id="patient-scope"),
        pytest.param("system/*.rus", 200, id="system-read-update"),
        pytest.param("user/*.*", 200, id="user-all"),
    ],
)
async def test_a_requeue_needs_read_and_update_on_every_hl7v2_type(
    store_url: str, tmp_path: Path, scope: str, status: int
) -> None:
    async with smart_client(store_url, tmp_path) as http:
        response = await http.post(
            "/fhir/$hl7v2-outbox-requeue", json=REQUEUE, headers=bearer(scope, patient="p1")
        )

    assert response.status_code == status, response.text
