"""Transaction tests run on the stores that have transactions (memory:// refuses them)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.settings import Settings
from tests.conftest import STORE_KINDS, store_url_for

TRANSACTION_STORES = [kind for kind in STORE_KINDS if kind != "memory"]


@pytest.fixture(params=TRANSACTION_STORES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_url_for(str(request.param), tmp_path)


def urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def entry(
    method: str, url: str, resource: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """A Bundle entry: ``full_url``, ``if_none_exist``, ``if_match`` as keywords."""
    found: dict[str, Any] = {"request": {"method": method, "url": url}}
    if "full_url" in extra:
        found["fullUrl"] = extra.pop("full_url")
    if "if_none_exist" in extra:
        found["request"]["ifNoneExist"] = extra.pop("if_none_exist")
    if "if_match" in extra:
        found["request"]["ifMatch"] = extra.pop("if_match")
    assert not extra, extra
    if resource is not None:
        found["resource"] = resource
    return found


def bundle(kind: str, *entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": kind, "entry": list(entries)}


def transaction(*entries: dict[str, Any]) -> dict[str, Any]:
    return bundle("transaction", *entries)


def coverage(beneficiary: str, **overrides: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "resourceType": "Coverage",
        "status": "active",
        "beneficiary": {"reference": beneficiary},
        "payor": [{"reference": beneficiary}],
    }
    found.update(overrides)
    return found


FHIR_JSON = {"Content-Type": "application/fhir+json"}


async def post_bundle(client: Any, document: dict[str, Any], **headers: str) -> Any:
    """POST a Bundle to the base; the httpx response."""
    return await client.post("/fhir", json=document, headers={**FHIR_JSON, **headers})


async def ids_of(client: Any, resource_type: str, query: str = "") -> list[str]:
    """The ids a search finds (every page's: the count is large)."""
    response = await client.get(f"/fhir/{resource_type}?_count=1000&{query}")
    assert response.status_code == 200, response.text
    return sorted(e["resource"]["id"] for e in response.json().get("entry", []))


def reference_id(reference: str) -> str:
    return reference.split("/")[1]


@asynccontextmanager
async def client_with(settings: Settings, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of an app built with ``settings`` changed as given."""
    from server.app import create_app

    app = create_app(settings.model_copy(update=changes))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            http.app = app  # type: ignore[attr-defined]
            yield http
