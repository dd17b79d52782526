"""An app with Bulk Data export, its files under the test's folder, and export helpers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from server.settings import Settings
from tests.conftest import running_app

ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}
FHIR_JSON = {"Content-Type": "application/fhir+json"}


def export_settings(store_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    fields: dict[str, Any] = {
        "store": store_url,
        "seed": False,
        "host": "127.0.0.1",
        "port": 8080,
        "allowed_hosts": ("testserver",),
        "auth": "none",
        "export_dir": tmp_path / "exports",
    }
    fields.update(overrides)
    return Settings(**fields)


# An in-process client of an app on given settings, lifespan included.
running = running_app


@pytest.fixture
def make_app(store_url: str, tmp_path: Path) -> Callable[..., Any]:
    """``make_app(**settings)``: an app context on the test's store and export folder."""

    def make(**overrides: Any) -> Any:
        return running(export_settings(store_url, tmp_path, **overrides))

    return make


@pytest.fixture
async def client(make_app: Callable[..., Any]) -> AsyncIterator[httpx.AsyncClient]:
    async with make_app() as http:
        yield http


async def put(http: httpx.AsyncClient, resource: dict[str, Any], **headers: str) -> None:
    answer = await http.put(
        f"/fhir/{resource['resourceType']}/{resource['id']}",
        json=resource,
        headers={**FHIR_JSON, **headers},
    )
    assert answer.status_code in (200, 201), answer.text


async def finished(
    http: httpx.AsyncClient, status_url: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """Poll a status URL until the job is no longer running (20 s at most)."""
    for _ in range(400):
        answer = await http.get(status_url, headers=headers or {})
        if answer.status_code != 202:
            return answer
        assert answer.headers["Retry-After"].isdigit()
        assert answer.headers["X-Progress"]
        await asyncio.sleep(0.05)
    raise AssertionError("the export did not finish in 20 s")


async def export(
    http: httpx.AsyncClient, path: str = "/fhir/$export", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """Kick off, wait, and return the manifest."""
    kicked = await http.get(path, headers={**ASYNC, **(headers or {})})
    assert kicked.status_code == 202, kicked.text
    done = await finished(http, kicked.headers["Content-Location"], headers)
    assert done.status_code == 200, done.text
    manifest: dict[str, Any] = done.json()
    return manifest


async def download(
    http: httpx.AsyncClient, manifest: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Every output file's resources, by type."""
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in manifest["output"]:
        answer = await http.get(entry["url"], headers=headers or {})
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/fhir+ndjson")
        lines = [orjson.loads(line) for line in answer.content.splitlines()]
        assert len(lines) == entry["count"]
        found.setdefault(entry["type"], []).extend(lines)
    return found


def patient(pid: str, family: str = "Doe") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "name": [{"family": family}]}


def coverage(cid: str, pid: str) -> dict[str, Any]:
    return {
        "resourceType": "Coverage",
        "id": cid,
        "status": "active",
        "beneficiary": {"reference": f"Patient/{pid}"},
        "payor": [{"reference": "Organization/payer"}],
    }


def organization(oid: str = "payer") -> dict[str, Any]:
    return {"resourceType": "Organization", "id": oid, "name": "Acme Health"}


def group(gid: str, *members: str) -> dict[str, Any]:
    return {
        "resourceType": "Group",
        "id": gid,
        "type": "person",
        "actual": True,
        "member": [{"entity": {"reference": f"Patient/{m}"}} for m in members],
    }
