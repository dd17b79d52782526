"""The store's refusals and failures as HTTP answers: 503 with Retry-After, 400 too costly,
422 too large; never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from server.app import create_app
from server.settings import Settings
from server.storage.mongo import search as mongo_search
from server.storage.mongo.limits import MAX_DOCUMENT_BYTES
from tests.conftest import FHIR_JSON, make_claim, make_patient
from tests.referenced import provide_targets

pytestmark = pytest.mark.anyio


@pytest.fixture
async def app_and_client() -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    settings = Settings(
        store="memory://",
        seed=False,
        allowed_hosts=("testserver",),
        max_body_bytes=4 * MAX_DOCUMENT_BYTES,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield app, http


async def test_an_unavailable_store_answers_503_with_retry_after(
    app_and_client: tuple[Any, httpx.AsyncClient],
) -> None:
    app, http = app_and_client
    await app.state.store.close()

    response = await http.get("/fhir/Patient/p1")
    await app.state.store.open()  # back, for the shutdown's own writes

    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    issue = response.json()["issue"][0]
    assert issue["code"] == "transient"


async def test_a_join_past_the_limit_answers_400_too_costly(
    app_and_client: tuple[Any, httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, http = app_and_client
    for n in range(2):
        created = await http.put(
            f"/fhir/Patient/p{n}", json=make_patient(id=f"p{n}"), headers=FHIR_JSON
        )
        body = make_claim(f"Patient/p{n}")
        await provide_targets(http, body)
        claim = await http.post("/fhir/Claim", json=body, headers=FHIR_JSON)
        assert (created.status_code, claim.status_code) == (201, 201), claim.text
    monkeypatch.setattr(mongo_search, "JOIN_LIMIT", 1)

    response = await http.get("/fhir/Patient", params={"_has:Claim:patient:_id:not": "x"})
    chained = await http.get("/fhir/Claim", params={"patient:Patient.gender": "male"})

    for answer in (response, chained):
        assert answer.status_code == 400, answer.text
        issue = answer.json()["issue"][0]
        assert issue["code"] == "too-costly"
        assert "1" in issue["diagnostics"]


async def test_a_resource_past_the_document_limit_answers_422(
    app_and_client: tuple[Any, httpx.AsyncClient],
) -> None:
    _, http = app_and_client
    patient = make_patient(id="big", text={"status": "generated", "div": _div(MAX_DOCUMENT_BYTES)})

    response = await http.put("/fhir/Patient/big", json=patient, headers=FHIR_JSON)

    assert response.status_code == 422, response.text[:300]
    issue = response.json()["issue"][0]
    assert issue["code"] == "too-long"
    assert "16" in issue["diagnostics"]
    assert (await http.get("/fhir/Patient/big")).status_code == 404


def _div(size: int) -> str:
    return '<div xmlns="http://www.w3.org/1999/xhtml">' + "a" * size + "</div>"
