"""The registration operations respect scopes: the check confined to the launch patient,
the worklist (every patient of a day) only unconfined."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.auth.smart_app import bearer, put_all, smart_client
from tests.registration.world import PAYER, make_consent, make_coverage, make_patient

pytestmark = pytest.mark.anyio

CHECK = "/fhir/Patient/reg-a/$registration-check"
WORKLIST = "/fhir/Patient/$registration-worklist?date=2026-12-14"


@pytest.fixture
async def http(store_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with smart_client(store_url, tmp_path) as client:
        await put_all(
            client,
            [PAYER, make_patient("reg-a"), make_patient("reg-b"), make_coverage("reg-a"),
             make_consent("reg-a")],
        )  # fmt: skip
        yield client


@pytest.mark.parametrize(
    ("path", "scope", "patient", "expected"),
    [
        pytest.param(CHECK, "patient/*.rs", "reg-a", 200, id="check-own"),
        pytest.param(CHECK, "patient/*.rs", "reg-b", 404, id="check-other-patient"),
        pytest.param(CHECK, "patient/Patient.rs", "reg-a", 403, id="check-no-coverage-scope"),
        pytest.param(CHECK, "user/*.rs", None, 200, id="check-user"),
        pytest.param(WORKLIST, "patient/*.rs", "reg-a", 403, id="worklist-patient"),
        pytest.param(WORKLIST, "user/Appointment.s", None, 403, id="worklist-appointments-only"),
        pytest.param(WORKLIST, "user/*.rs", None, 200, id="worklist-user"),
    ],
)
async def test_registration_operations_check_their_scopes(
    http: httpx.AsyncClient, path: str, scope: str, patient: str | None, expected: int
) -> None:
    response = await http.get(path, headers=bearer(scope, patient))

    assert response.status_code == expected, response.text
    if expected == 404:  # the check ran, and did not show a patient the token may not see
        assert "Patient/reg-a is not known" in response.json()["issue"][0]["diagnostics"]
