"""``/metrics``: Prometheus text that counts what was sent, off the FHIR path."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry, generate_latest

from server.app import create_app
from server.metrics.http import HttpMetrics
from server.settings import Settings
from tests.conftest import make_patient
from tests.ingest.messages import adt, unsupported

pytestmark = pytest.mark.anyio

ER7 = {"content-type": "x-application/hl7-v2+er7"}


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(settings):
        yield client


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of the exposition ``text`` (None when absent)."""
    for line in text.splitlines():
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if match is None or match[1] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match[3])
    return None


async def test_requests_are_counted_by_interaction_type_and_status(
    http: httpx.AsyncClient,
) -> None:
    created = await http.post("/fhir/Patient", json=make_patient())
    location = created.headers["location"].split("/_history")[0]
    for _ in range(3):
        await http.get(location)
    await http.get("/fhir/Patient/nobody")
    await http.get("/fhir/Patient?family=alvarez")

    answer = await http.get("/metrics")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    text = answer.text
    requests = "fhirport_http_requests_total"
    assert sample(text, requests, interaction="create", type="Patient", status="201") == 1
    assert sample(text, requests, interaction="read", type="Patient", status="200") == 3
    assert sample(text, requests, interaction="read", type="Patient", status="404") == 1
    assert sample(text, requests, interaction="search-type", type="Patient", status="200") == 1
    count = "fhirport_http_request_duration_seconds_count"
    assert sample(text, count, interaction="read", type="Patient") == 4
    assert "/fhir/Patient/" not in text  # no ids, no paths: bounded labels only


async def test_hl7v2_messages_are_counted_by_type_and_outcome(http: httpx.AsyncClient) -> None:
    for message in (adt("m1"), adt("m1"), adt("m2", event="A08"), unsupported("m3")):
        await http.post("/fhir/$hl7v2-ingest", content=message, headers=ER7)

    text = (await http.get("/metrics")).text

    messages = "fhirport_hl7v2_messages_total"
    assert sample(text, messages, type="ADT^A04", outcome="applied") == 1
    assert sample(text, messages, type="ADT^A04", outcome="duplicate") == 1
    assert sample(text, messages, type="ADT^A08", outcome="applied") == 1
    assert sample(text, messages, type="ORU^R01", outcome="out-of-scope") == 1


async def test_the_store_and_the_audit_trail_report_their_state(
    settings: Settings, store_url: str
) -> None:
    async for http in _client(settings.model_copy(update={"audit": "all"})):
        await http.post("/fhir/Patient", json=make_patient())
        text = (await http.get("/metrics")).text

    assert sample(text, "fhirport_audit_backlog") is not None
    if store_url.startswith("sqlite"):
        commits = sample(text, "fhirport_store_commit_seconds_count")
        assert commits is not None
        assert commits >= 1
        assert (sample(text, "fhirport_store_commit_group_size_sum") or 0) >= 1


async def test_a_metrics_token_is_required_when_one_is_set(settings: Settings) -> None:
    async for http in _client(settings.model_copy(update={"metrics_token": "s3cret-value"})):
        missing = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"authorization": "Bearer nope"})
        right = await http.get("/metrics", headers={"authorization": "Bearer s3cret-value"})

    assert [missing.status_code, wrong.status_code, right.status_code] == [401, 401, 200]
    assert missing.headers["www-authenticate"].startswith("Bearer")


def test_latencies_fall_in_cumulative_buckets_bounds_included() -> None:
    registry = CollectorRegistry()
    metrics = HttpMetrics(registry)
    scope = {"type": "http", "path": "/fhir/Patient/1", "path_params": {}}
    for seconds in (0.0004, 0.001, 0.003, 0.003, 20.0):
        metrics.observe(scope, 200, seconds)

    text = generate_latest(registry).decode()

    bucket = "fhirport_http_request_duration_seconds_bucket"
    assert sample(text, bucket, type="Patient", le="0.001") == 2
    assert sample(text, bucket, type="Patient", le="0.0025") == 2
    assert sample(text, bucket, type="Patient", le="0.005") == 4
    assert sample(text, bucket, type="Patient", le="10.0") == 4
    assert sample(text, bucket, type="Patient", le="+Inf") == 5
    assert sample(text, "fhirport_http_request_duration_seconds_count", type="Patient") == 5
    total = sample(text, "fhirport_http_request_duration_seconds_sum", type="Patient")
    assert total == pytest.approx(20.0074)
    requests = "fhirport_http_requests_total"
    assert sample(text, requests, interaction="unrouted", type="Patient", status="200") == 5
