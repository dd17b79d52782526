"""Bulk Data export end to end: kick-off, status, manifest, download (export.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.bulk.conftest import (
    ASYNC,
    coverage,
    download,
    export,
    finished,
    group,
    organization,
    patient,
    put,
)

pytestmark = pytest.mark.anyio


async def _population(http: httpx.AsyncClient) -> None:
    await put(http, organization())
    for n in range(5):
        await put(http, patient(f"p{n}", f"Family{n}"))
        await put(http, coverage(f"c{n}", f"p{n}"))


async def test_system_export_writes_every_type_with_counts(client: httpx.AsyncClient) -> None:
    await _population(client)
    kicked = await client.get("/fhir/$export", headers=ASYNC)
    assert kicked.status_code == 202
    status_url = kicked.headers["Content-Location"]
    assert status_url.startswith("http://testserver/fhir/$export-status/")

    done = await finished(client, status_url)

    assert done.status_code == 200
    assert done.headers["content-type"].startswith("application/json")
    assert "Expires" in done.headers
    manifest = done.json()
    assert manifest["request"] == "http://testserver/fhir/$export"
    assert manifest["requiresAccessToken"] is False
    assert manifest["transactionTime"].endswith("Z")
    assert manifest["error"] == []
    counts = {e["type"]: e["count"] for e in manifest["output"]}
    assert counts == {"Coverage": 5, "Organization": 1, "Patient": 5}
    files = await download(client, manifest)
    assert sorted(p["id"] for p in files["Patient"]) == [f"p{n}" for n in range(5)]


async def test_post_kick_off_takes_parameters(client: httpx.AsyncClient) -> None:
    await _population(client)
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "_type", "valueString": "Patient"},
            {"name": "_outputFormat", "valueString": "ndjson"},
        ],
    }
    kicked = await client.post(
        "/fhir/$export", json=body, headers={**ASYNC, "Content-Type": "application/fhir+json"}
    )
    assert kicked.status_code == 202, kicked.text
    manifest = (await finished(client, kicked.headers["Content-Location"])).json()
    assert [e["type"] for e in manifest["output"]] == ["Patient"]


async def test_type_and_since_narrow_the_export(client: httpx.AsyncClient) -> None:
    await _population(client)
    first = await export(client, "/fhir/$export?_type=Patient,Organization")
    assert {e["type"] for e in first["output"]} == {"Patient", "Organization"}

    await put(client, patient("p1", "Changed"))
    await put(client, patient("p9", "New"))
    since = first["transactionTime"]
    later = await export(client, f"/fhir/$export?_type=Patient&_since={since}")

    files = await download(client, later)
    assert sorted(p["id"] for p in files["Patient"]) == ["p1", "p9"]


async def test_the_export_is_a_snapshot_at_its_transaction_time(
    client: httpx.AsyncClient,
) -> None:
    await _population(client)
    kicked = await client.get("/fhir/$export?_type=Patient,Coverage", headers=ASYNC)
    # Written after the kick-off, before the job reads (it settles first).
    await put(client, patient("p0", "Later"))
    await put(client, patient("p-new", "Later"))
    assert (await client.delete("/fhir/Coverage/c1")).status_code in (200, 204)

    done = await finished(client, kicked.headers["Content-Location"])

    files = await download(client, done.json())
    families = {p["id"]: p["name"][0]["family"] for p in files["Patient"]}
    assert families == {f"p{n}": f"Family{n}" for n in range(5)}
    assert sorted(c["id"] for c in files["Coverage"]) == [f"c{n}" for n in range(5)]


async def test_patient_level_export_holds_the_compartment_types(
    client: httpx.AsyncClient,
) -> None:
    await _population(client)
    manifest = await export(client, "/fhir/Patient/$export")
    assert {e["type"] for e in manifest["output"]} == {"Patient", "Coverage"}


async def test_group_export_holds_only_the_members_records(client: httpx.AsyncClient) -> None:
    await _population(client)
    await put(client, group("cohort", "p1", "p3"))

    manifest = await export(client, "/fhir/Group/cohort/$export")

    files = await download(client, manifest)
    assert sorted(p["id"] for p in files["Patient"]) == ["p1", "p3"]
    assert sorted(c["id"] for c in files["Coverage"]) == ["c1", "c3"]


async def test_a_group_that_does_not_exist_is_404(client: httpx.AsyncClient) -> None:
    answer = await client.get("/fhir/Group/nobody/$export", headers=ASYNC)
    assert answer.status_code == 404
    assert answer.json()["resourceType"] == "OperationOutcome"


async def test_files_are_split_past_the_size(make_app: Callable[..., Any]) -> None:
    async with make_app(export_file_max_bytes=300) as http:
        await _population(http)
        manifest = await export(http, "/fhir/$export?_type=Patient")
        assert len(manifest["output"]) > 1
        assert all(e["type"] == "Patient" for e in manifest["output"])
        assert sum(e["count"] for e in manifest["output"]) == 5
        files = await download(http, manifest)
        assert len(files["Patient"]) == 5


async def test_an_empty_export_has_no_output(client: httpx.AsyncClient) -> None:
    manifest = await export(client)
    assert manifest["output"] == []


async def test_group_members_that_do_not_exist_are_in_the_error_file(
    make_app: Callable[..., Any],
) -> None:
    # A member that is not on file: possible under lenient referential integrity.
    async with make_app(referential_integrity="lenient") as http:
        await _population(http)
        await put(http, group("cohort", "p1", "ghost"))

        manifest = await export(http, "/fhir/Group/cohort/$export")

        assert [e["type"] for e in manifest["error"]] == ["OperationOutcome"]
        assert manifest["error"][0]["count"] == 1
        outcome = (await http.get(manifest["error"][0]["url"])).json()
        assert outcome["resourceType"] == "OperationOutcome"
        assert "Patient/ghost" in outcome["issue"][0]["diagnostics"]
        files = await download(http, manifest)
        assert [p["id"] for p in files["Patient"]] == ["p1"]
