"""The scheduling operations check the scopes they declare (server.auth.operations)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.auth.smart_app import bearer, smart_client
from tests.scheduling.slots import weekly

pytestmark = pytest.mark.anyio

FIND = "/fhir/Appointment/$find?start=2025-03-03&end=2025-03-04"
WORKLIST = "/fhir/Appointment/$no-show-worklist"
GENERATE = "/fhir/Schedule/nowhere/$generate-slots"


@pytest.fixture
async def http(store_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with smart_client(store_url, tmp_path) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "scope", "expected"),
    [
        pytest.param("GET", FIND, "user/Appointment.rs", 403, id="find-no-slots"),
        pytest.param("GET", FIND, "user/Slot.rs user/Schedule.rs", 200, id="find"),
        pytest.param("GET", WORKLIST, "patient/Appointment.rs", 403, id="worklist-patient"),
        pytest.param("GET", WORKLIST, "user/Appointment.s", 200, id="worklist"),
        pytest.param("POST", GENERATE, "user/Schedule.r", 403, id="generate-no-slot-create"),
        pytest.param("POST", GENERATE, "user/Schedule.r user/Slot.c", 404, id="generate"),
    ],
)
async def test_scheduling_operations_check_their_scopes(
    http: httpx.AsyncClient, method: str, path: str, scope: str, expected: int
) -> None:
    body = weekly((["mon"], "09:00:00", "10:00:00"), slot_minutes=15) if method == "POST" else None
    response = await http.request(method, path, json=body, headers=bearer(scope, "sched-pat"))

    assert response.status_code == expected, response.text
