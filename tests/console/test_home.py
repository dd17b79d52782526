"""Home: the server's status, what the store holds, HL7v2 traffic and recent activity,
each read through the API."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import make_patient
from tests.console.signing import sign_in
from tests.ingest.messages import adt, without_pid

pytestmark = pytest.mark.anyio


async def test_home_shows_the_server_ready(console: httpx.AsyncClient) -> None:
    page = await console.get("/")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "Ready" in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_home_sets_an_httponly_strict_session_cookie(console: httpx.AsyncClient) -> None:
    page = await console.get("/")
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie


async def test_with_auth_on_a_visitor_is_sent_to_sign_in(smart_console: httpx.AsyncClient) -> None:
    page = await smart_console.get("/")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/console/sign-in?next=")


async def test_home_counts_what_the_store_holds(console: httpx.AsyncClient) -> None:
    for _ in range(3):
        await console.post("/fhir/Patient", json=make_patient())
    counts = await console.get("/console/home/counts")
    assert counts.status_code == 200
    assert (
        '<th scope="row"><a href="/console/browse/Patient">Patient</a></th><td class="num">3</td>'
        in counts.text
    )


async def test_home_charts_hl7v2_messages_by_outcome(console: httpx.AsyncClient) -> None:
    hl7 = {"Content-Type": "x-application/hl7-v2+er7"}
    await console.post("/fhir/$hl7v2-ingest", content=adt("C1"), headers=hl7)
    await console.post("/fhir/$hl7v2-ingest", content=adt("C2", mrn="MRN2"), headers=hl7)
    await console.post("/fhir/$hl7v2-ingest", content=without_pid("C3"), headers=hl7)
    chart = await console.get("/console/home/hl7v2")
    assert chart.status_code == 200
    assert "<svg" in chart.text
    assert "applied: 2" in chart.text
    assert "rejected: 1" in chart.text or "failed: 1" in chart.text


async def test_home_lists_recent_activity_from_the_audit_log(
    console: httpx.AsyncClient, console_app: FastAPI
) -> None:
    created = await console.post("/fhir/Patient", json=make_patient())
    await console_app.state.audit.flush()
    activity = await console.get("/console/home/activity")
    assert activity.status_code == 200
    assert f"Patient/{created.json()['id']}" in activity.text


async def test_activity_without_audit_scope_shows_the_refusal(
    smart_console: httpx.AsyncClient,
) -> None:
    await sign_in(smart_console, "user/Patient.rs")
    activity = await smart_console.get("/console/home/activity")
    assert activity.status_code == 403
    assert "<table" not in activity.text
