"""$send-reminders needs unconfined scopes: it reminds every patient booked in the window."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.auth.smart_app import bearer, smart_client

pytestmark = pytest.mark.anyio

SEND = "/fhir/Appointment/$send-reminders"


@pytest.fixture
async def http(store_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with smart_client(store_url, tmp_path) as client:
        yield client


@pytest.mark.parametrize(
    ("scope", "patient", "expected"),
    [
        pytest.param("patient/*.cruds", "p1", 403, id="patient-scopes"),
        pytest.param("user/Appointment.rs", None, 403, id="appointments-only"),
        pytest.param(
            "user/Appointment.rs user/Patient.r user/Location.r user/Practitioner.r"
            " user/Communication.cu",
            None, 409, id="what-it-needs",  # granted; the app has no sender configured
        ),
    ],
)  # fmt: skip
async def test_send_reminders_checks_its_scopes(
    http: httpx.AsyncClient, scope: str, patient: str | None, expected: int
) -> None:
    response = await http.post(SEND, headers=bearer(scope, patient))

    assert response.status_code == expected, response.text
