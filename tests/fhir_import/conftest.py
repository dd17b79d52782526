"""Running ``fhirport fhir import`` and reading what it stored."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner, Result

from server.cli import main
from server.storage.factory import store_from_url
from server.storage.port import StoredVersion


def fhir_import(*args: str | Path) -> Result:
    """Run ``fhirport fhir import`` with ``args``; its exit code, stdout and stderr."""
    return CliRunner().invoke(main, ["fhir", "import", *map(str, args)], catch_exceptions=False)


def stored(url: str, resource_type: str, resource_id: str) -> StoredVersion | None:
    async def read() -> StoredVersion | None:
        store = store_from_url(url)
        await store.open()
        try:
            return await store.read(resource_type, resource_id)
        finally:
            await store.close()

    return asyncio.run(read())


def count(url: str, resource_type: str) -> int:
    async def counted() -> int:
        store = store_from_url(url)
        await store.open()
        try:
            return await store.count(resource_type)
        finally:
            await store.close()

    return asyncio.run(counted())


def write_ndjson(path: Path, *resources: dict[str, Any] | bytes, gz: bool = False) -> Path:
    lines = b"".join((r if isinstance(r, bytes) else orjson.dumps(r)) + b"\n" for r in resources)
    path.write_bytes(gzip.compress(lines) if gz else lines)
    return path


def report_of(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = orjson.loads(path.read_bytes())
    return report


def patient(pid: str | None, family: str = "Doe", mrn: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Patient", "name": [{"family": family}]}
    if pid is not None:
        resource["id"] = pid
    if mrn is not None:
        resource["identifier"] = [{"system": "urn:mrn", "value": mrn}]
    return resource


def coverage(cid: str, pid: str) -> dict[str, Any]:
    return {
        "resourceType": "Coverage",
        "id": cid,
        "status": "active",
        "beneficiary": {"reference": f"Patient/{pid}"},
        "payor": [{"reference": f"Patient/{pid}"}],
    }
