"""Fixtures shared by every test package: the stores, the app, and an HTTP client."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.settings import Settings
from server.storage.factory import store_from_url
from server.storage.port import Store
from server.storage.sqlite.store import SqliteStore
from tests.direct_store import opened_sqlite
from tests.mongodb_databases import drop_test_databases, fresh_database_url

# The tests of everything but access control run without it, as `make sandbox` does: the
# apps they build (here and in their own modules) and the servers they start read this.
# tests/auth builds its apps with auth="smart" and starts servers with --auth smart.
os.environ.setdefault("FHIRPORT_AUTH", "none")

# Behaviour tests count the records they make; the audit trail's would be among them.
# tests/audit builds its apps with audit="all" and starts servers with --audit all.
os.environ.setdefault("FHIRPORT_AUDIT", "off")

STORE_KINDS = ["sqlite", "memory"] + (
    ["mongodb"] if os.environ.get("FHIRPORT_TEST_MONGODB_URI") else []
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def store_url_for(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    if kind == "memory":
        return "memory://"
    return fresh_database_url()


@pytest.fixture(autouse=True)
def _drop_mongodb_test_databases() -> Iterator[None]:
    """Each test's MongoDB databases are dropped when it ends (no server: nothing to do)."""
    yield
    drop_test_databases()


@pytest.fixture(params=STORE_KINDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each behaviour test runs once per store."""
    return store_url_for(str(request.param), tmp_path)


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    opened = store_from_url(store_url)
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def settings(store_url: str) -> Settings:
    # The in-process client below sends ``Host: testserver``: allowed like a deployment's name.
    # Access control is tested in tests/auth with apps of its own (auth="smart").
    return Settings(
        store=store_url,
        seed=False,
        host="127.0.0.1",
        port=8080,
        allowed_hosts=("testserver",),
        auth="none",
    )


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of an app on ``settings``, in-process (ASGI), lifespan included."""
    from server.app import create_app

    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            http.app = app  # type: ignore[attr-defined]  # for a test that needs its runtime
            yield http


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process (ASGI), lifespan included."""
    async with running_app(settings) as http:
        yield http


def make_patient(**overrides: Any) -> dict[str, Any]:
    """A valid Patient; keyword arguments replace top-level elements."""
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.3.9999.1", "value": "MRN-1"}],
        "name": [{"family": "Álvarez", "given": ["José"]}],
        "gender": "male",
        "birthDate": "1980-02-29",
    }
    patient.update(overrides)
    return patient


CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"


def make_claim(patient: str, **overrides: Any) -> dict[str, Any]:
    """A valid professional Claim for ``patient`` (a reference); keywords replace elements."""
    claim: dict[str, Any] = {
        "resourceType": "Claim",
        "status": "active",
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/claim-type",
                    "code": "professional",
                }
            ]
        },
        "use": "claim",
        "patient": {"reference": patient},
        "created": "2024-01-15",
        "provider": {"reference": "Organization/org1"},
        "priority": {"coding": [{"code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/cov1"}}],
    }
    claim.update(overrides)
    return claim


FHIR_JSON = {"Content-Type": "application/fhir+json"}


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    """The SQLite store alone, for tests of what only it has (its tables, its caches)."""
    async with opened_sqlite(tmp_path / "sqlite-only.sqlite3") as opened:
        yield opened
