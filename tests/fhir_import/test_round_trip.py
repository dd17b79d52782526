"""What $export writes, ``fhirport fhir import`` loads into an empty store, and a second
export of that store is the same apart from meta.versionId and meta.lastUpdated."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from tests.bulk.conftest import export, export_settings, running
from tests.fhir_import.conftest import fhir_import

pytestmark = pytest.mark.anyio


def _normalized(resource: dict[str, Any]) -> dict[str, Any]:
    meta = {
        k: v for k, v in resource.get("meta", {}).items() if k not in ("versionId", "lastUpdated")
    }
    rest = {k: v for k, v in resource.items() if k != "meta"}
    return {**rest, "meta": meta} if meta else rest


async def _files(http: httpx.AsyncClient, manifest: dict[str, Any]) -> dict[str, bytes]:
    return {
        entry["url"].rsplit("/", 1)[1]: (await http.get(entry["url"])).content
        for entry in manifest["output"]
    }


def _save(files: dict[str, bytes], folder: Path) -> Path:
    folder.mkdir()
    for name, body in files.items():
        (folder / name).write_bytes(body)
    return folder


def _by_type(files: dict[str, bytes]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for body in files.values():
        for line in body.splitlines():
            resource = orjson.loads(line)
            found.setdefault(resource["resourceType"], []).append(_normalized(resource))
    return {t: sorted(rs, key=lambda r: r["id"]) for t, rs in found.items()}


async def test_export_import_export_round_trips(tmp_path: Path) -> None:
    source = export_settings(
        f"sqlite:///{tmp_path / 'a.sqlite3'}",
        tmp_path / "a",
        seed=True,
        referential_integrity="lenient",  # the sandbox links patients before it loads them
    )
    async with running(source) as http:
        first = await _files(http, await export(http))
    assert len(first) >= 5

    target = f"sqlite:///{tmp_path / 'b.sqlite3'}"
    folder = await asyncio.to_thread(_save, first, tmp_path / "first")
    imported = await asyncio.to_thread(fhir_import, folder, "--store", target)
    assert imported.exit_code == 0, imported.output

    async with running(export_settings(target, tmp_path / "b")) as http:
        second = await _files(http, await export(http))

    assert sorted(second) == sorted(first)
    assert _by_type(second) == _by_type(first)
