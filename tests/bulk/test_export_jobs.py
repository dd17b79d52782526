"""Export jobs over time: cancelled, throttled, surviving a restart, expiring."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.bulk.conftest import (
    ASYNC,
    download,
    export,
    export_settings,
    finished,
    patient,
    put,
    running,
)

pytestmark = pytest.mark.anyio


async def test_delete_cancels_and_then_the_job_is_gone(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    await put(client, patient("p1"))
    kicked = await client.get("/fhir/$export", headers=ASYNC)
    status_url = kicked.headers["Content-Location"]

    cancelled = await client.delete(status_url)

    assert cancelled.status_code == 202
    assert (await client.get(status_url)).status_code == 404
    assert (await client.delete(status_url)).status_code == 404


async def test_delete_after_completion_removes_the_files(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    await put(client, patient("p1"))
    kicked = await client.get("/fhir/$export", headers=ASYNC)
    status_url = kicked.headers["Content-Location"]
    manifest = (await finished(client, status_url)).json()
    job_folder = tmp_path / "exports" / status_url.rsplit("/", 1)[1]
    assert any(job_folder.iterdir())

    assert (await client.delete(status_url)).status_code == 202

    assert not job_folder.exists()
    assert (await client.get(manifest["output"][0]["url"])).status_code == 404


async def test_too_many_running_jobs_is_429_with_retry_after(
    make_app: Callable[..., Any],
) -> None:
    async with make_app(export_max_jobs=1) as http:
        first = await http.get("/fhir/$export", headers=ASYNC)
        second = await http.get("/fhir/$export", headers=ASYNC)

        assert first.status_code == 202
        assert second.status_code == 429
        assert second.headers["Retry-After"].isdigit()
        assert second.json()["issue"][0]["code"] == "throttled"
        await finished(http, first.headers["Content-Location"])
        third = await http.get("/fhir/$export", headers=ASYNC)
        assert third.status_code == 202


async def test_a_job_survives_a_restart_of_the_server(tmp_path: Path) -> None:
    settings = export_settings(f"sqlite:///{tmp_path / 'store.sqlite3'}", tmp_path)
    async with running(settings) as http:
        for n in range(3):
            await put(http, patient(f"p{n}"))
        kicked = await http.get("/fhir/$export", headers=ASYNC)
        status_url = kicked.headers["Content-Location"]
        # Stopped before the job read anything (it settles first).

    async with running(settings) as http:
        await put(http, patient("after-restart"))
        done = await finished(http, status_url)
        assert done.status_code == 200
        files = await download(http, done.json())
        assert sorted(p["id"] for p in files["Patient"]) == ["p0", "p1", "p2"]


async def test_files_expire_after_the_retention(
    make_app: Callable[..., Any], tmp_path: Path
) -> None:
    async with make_app(export_retention=0.5) as http:
        await put(http, patient("p1"))
        manifest = await export(http)
        url = manifest["output"][0]["url"]
        assert (await http.get(url)).status_code == 200
        await asyncio.sleep(0.6)
        assert (await http.get(url)).status_code == 404
        assert list((tmp_path / "exports").iterdir()) == []


async def test_a_job_that_cannot_write_fails_with_an_outcome_and_stays(
    make_app: Callable[..., Any], tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_bytes(b"")
    async with make_app(export_dir=blocked) as http:
        kicked = await http.get("/fhir/$export", headers=ASYNC)
        status_url = kicked.headers["Content-Location"]

        failed = await finished(http, status_url)

        assert failed.status_code == 500
        issue = failed.json()["issue"][0]
        assert issue["severity"] == "fatal"
        assert (await http.get(status_url)).status_code == 500
