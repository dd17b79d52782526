"""Export under access control: requiresAccessToken, scopes, the kicking-off client; audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from server.app import create_app
from tests.auth.tokens import auth_settings, issue
from tests.bulk.conftest import (
    ASYNC,
    coverage,
    download,
    export,
    export_settings,
    finished,
    organization,
    patient,
    put,
)

pytestmark = pytest.mark.anyio

ADMIN = "system/*.cruds"


def bearer(
    scope: str, patient_id: str | None = None, client_id: str = "exporter"
) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue(scope, patient=patient_id, client_id=client_id)}"}


@asynccontextmanager
async def app_with(
    store_url: str, tmp_path: Path, **overrides: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    settings = export_settings(store_url, tmp_path, **overrides)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http, app


@asynccontextmanager
async def secured(store_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with app_with(store_url, tmp_path, auth="smart", **auth_settings(tmp_path)) as (http, _):
        admin = bearer(ADMIN)
        await put(http, organization(), **admin)
        for pid in ("p1", "p2"):
            await put(http, patient(pid), **admin)
            await put(http, coverage(f"c-{pid}", pid), **admin)
        yield http


async def test_with_auth_a_token_is_required_and_the_manifest_says_so(
    store_url: str, tmp_path: Path
) -> None:
    async with secured(store_url, tmp_path) as http:
        assert (await http.get("/fhir/$export", headers=ASYNC)).status_code == 401
        token = bearer("system/*.rs")
        manifest = await export(http, headers=token)
        assert manifest["requiresAccessToken"] is True
        url = manifest["output"][0]["url"]
        assert (await http.get(url)).status_code == 401
        assert (
            await http.get(url, headers=bearer("system/*.rs", client_id="other"))
        ).status_code == 403
        files = await download(http, manifest, token)
        assert set(files) == {"Coverage", "Organization", "Patient"}


async def test_without_auth_no_token_is_required(client: httpx.AsyncClient) -> None:
    await put(client, patient("p1"))
    manifest = await export(client)
    assert manifest["requiresAccessToken"] is False
    assert (await client.get(manifest["output"][0]["url"])).status_code == 200


async def test_the_export_holds_only_the_types_the_token_reads(
    store_url: str, tmp_path: Path
) -> None:
    async with secured(store_url, tmp_path) as http:
        token = bearer("system/Patient.rs")
        manifest = await export(http, headers=token)
        assert [e["type"] for e in manifest["output"]] == ["Patient"]
        refused = await http.get("/fhir/$export?_type=Coverage", headers={**ASYNC, **token})
        assert refused.status_code == 403


async def test_a_patient_token_exports_only_its_compartment(store_url: str, tmp_path: Path) -> None:
    async with secured(store_url, tmp_path) as http:
        token = bearer("patient/*.rs", patient_id="p1")
        system = await http.get("/fhir/$export", headers={**ASYNC, **token})
        assert system.status_code == 403

        manifest = await export(http, "/fhir/Patient/$export", headers=token)

        files = await download(http, manifest, token)
        assert [p["id"] for p in files["Patient"]] == ["p1"]
        assert [c["id"] for c in files["Coverage"]] == ["c-p1"]


async def _events(app: FastAPI) -> list[dict[str, Any]]:
    await app.state.audit.flush()
    engine = app.state.search
    query = [("_count", "1000"), ("_sort", "date")]
    result = await engine.run(engine.parse("AuditEvent", query, lenient=False))
    return [orjson.loads(v.body) for v in result.page.versions]


async def test_kick_off_and_each_download_are_audited(store_url: str, tmp_path: Path) -> None:
    async with app_with(store_url, tmp_path, audit="all", export_file_max_bytes=60) as (http, app):
        await put(http, patient("p1"))
        await put(http, patient("p2"))
        before = len(await _events(app))
        kicked = await http.get("/fhir/$export", headers=ASYNC)
        kick_off = (await _events(app))[before:]
        assert [e["subtype"][0]["code"] for e in kick_off] == ["operation"]
        manifest = (await finished(http, kicked.headers["Content-Location"])).json()
        assert len(manifest["output"]) == 2

        polled = len(await _events(app))
        await download(http, manifest)

        downloads = (await _events(app))[polled:]
        assert [e["subtype"][0]["code"] for e in downloads] == ["operation", "operation"]
        assert {e["outcome"] for e in downloads} == {"0"}


async def test_the_capability_statement_lists_bulk_export(client: httpx.AsyncClient) -> None:
    statement = (await client.get("/fhir/metadata")).json()
    assert (
        "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data" in statement["instantiates"]
    )
    rest = statement["rest"][0]
    assert "export" in {op["name"] for op in rest["operation"]}
    by_type = {r["type"]: r for r in rest["resource"]}
    for name in ("Patient", "Group"):
        assert "export" in {op["name"] for op in by_type[name].get("operation", ())}


async def test_status_of_another_clients_job_is_403(store_url: str, tmp_path: Path) -> None:
    async with secured(store_url, tmp_path) as http:
        kicked = await http.get("/fhir/$export", headers={**ASYNC, **bearer("system/*.rs")})
        status_url = kicked.headers["Content-Location"]
        other = bearer("system/*.rs", client_id="other")
        assert (await http.get(status_url, headers=other)).status_code == 403
        assert (await http.delete(status_url, headers=other)).status_code == 403
        assert (await finished(http, status_url, bearer("system/*.rs"))).status_code == 200
