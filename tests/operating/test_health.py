"""``/healthz`` and ``/readyz``: what an orchestrator asks before it sends traffic."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from server.app import create_app
from server.settings import Settings
from tests.auth.smart_app import smart_client

pytestmark = pytest.mark.anyio


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    built = create_app(settings)
    async with built.router.lifespan_context(built):
        yield built


def _http(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_a_running_server_is_live_and_ready(app: FastAPI) -> None:
    async with _http(app) as http:
        live = await http.get("/healthz")
        ready = await http.get("/readyz")

    assert live.status_code == 200
    assert live.headers["content-type"] == "application/json"
    assert live.json() == {"status": "pass"}
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "status": "pass",
        "checks": {"store": "pass", "mllp": "not configured"},
    }


async def test_the_probes_need_no_token_and_leave_no_audit_record(
    store_url: str, tmp_path: Path
) -> None:
    async with smart_client(store_url, tmp_path) as http:
        answers = [await http.get("/healthz"), await http.get("/readyz")]

    assert [a.status_code for a in answers] == [200, 200]
    assert all("Patient" not in a.text for a in answers)


async def test_a_store_that_cannot_answer_makes_the_server_not_ready(app: FastAPI) -> None:
    await app.state.store.close()  # what an unreachable store looks like from the server
    async with _http(app) as http:
        ready = await http.get("/readyz")
        live = await http.get("/healthz")

    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "fail"
    assert body["checks"]["store"].startswith("fail")
    assert live.status_code == 200  # the process still answers: not a reason to restart it


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_a_configured_mllp_listener_is_part_of_readiness(settings: Settings) -> None:
    built = create_app(settings.model_copy(update={"mllp_port": _free_port()}))
    async with built.router.lifespan_context(built), _http(built) as http:
        ready = await http.get("/readyz")

    assert ready.json()["checks"]["mllp"] == "pass", ready.text


async def test_the_probes_answer_whatever_host_a_prober_names(app: FastAPI) -> None:
    """Orchestrators probe the pod's address, which is no name the server answers to."""
    async with _http(app) as http:
        probed = [
            await http.get(path, headers={"host": "10.0.0.7:8080"})
            for path in ("/healthz", "/readyz")
        ]
        fhir = await http.get("/fhir/metadata", headers={"host": "10.0.0.7:8080"})

    assert [r.status_code for r in probed] == [200, 200]
    assert fhir.status_code == 400
