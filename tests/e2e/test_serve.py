"""The real server process over TCP: the sandbox seed, and a FHIR client library round trip."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fhirpy import AsyncFHIRClient

from tests.e2e.server_process import running_server

pytestmark = pytest.mark.slow


def test_serve_with_seed_loads_the_sandbox_once(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'sandbox.sqlite3'}"
    with running_server(store, "--seed") as base:
        first = httpx.get(f"{base}/Patient/_history", params={"_count": 1000}).json()
    with running_server(store, "--seed") as base:
        second = httpx.get(f"{base}/Patient/_history", params={"_count": 1000}).json()

    assert len(first["entry"]) >= 25
    assert len(second["entry"]) == len(first["entry"])


@pytest.mark.anyio
async def test_fhirpy_crud_round_trip(tmp_path: Path) -> None:
    with running_server(f"sqlite:///{tmp_path / 'fhirpy.sqlite3'}") as base:
        client = AsyncFHIRClient(base)
        patient = client.resource(
            "Patient",
            name=[{"family": "Roundtrip", "given": ["Fhirpy"]}],
            gender="female",
            birthDate="1991-03-04",
        )
        await patient.save()
        assert patient.id

        fetched = await client.reference("Patient", patient.id).to_resource()
        assert fetched["name"][0]["family"] == "Roundtrip"

        fetched["gender"] = "other"
        await fetched.save()
        again = await client.reference("Patient", patient.id).to_resource()
        assert again["gender"] == "other"
        assert again["meta"]["versionId"] == "2"

        await again.delete()
        async with httpx.AsyncClient() as http:
            gone = await http.get(f"{base}/Patient/{patient.id}")
        assert gone.status_code == 410
