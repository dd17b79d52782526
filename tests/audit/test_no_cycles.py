"""An audited request leaves nothing for the garbage collector.

The audit draft rides on the request's scope; a reference back from the scope's state
to the draft would make every request's scope (headers, state, token claims) a cycle
that only a collection frees: long pauses under load, each scanning thousands of
requests' leftovers. The app is called as a server calls it (no HTTP client, whose own
objects would be counted too).
"""

from __future__ import annotations

import gc
from typing import Any

import pytest

from tests.audit.conftest import CLIENT_ADDRESS, Audited
from tests.conftest import make_patient

pytestmark = pytest.mark.anyio


async def _get(audited: Audited, path: str) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": (CLIENT_ADDRESS, 50000),
        "server": ("testserver", 80),
    }
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await audited.app(scope, receive, send)
    return statuses[0]


async def test_reads_and_refusals_leave_no_reference_cycles(audited: Audited) -> None:
    created = await audited.http.post("/fhir/Patient", json=make_patient())
    patient = f"/fhir/Patient/{created.json()['id']}"
    await _get(audited, patient)  # warm: first-time caches
    await _get(audited, "/fhir/Patient/unknown-id")
    gc.collect()
    gc.disable()
    try:
        for _ in range(50):
            assert await _get(audited, patient) == 200
            assert await _get(audited, "/fhir/Patient/unknown-id") == 404
        left = gc.collect()
    finally:
        gc.enable()

    assert left == 0
