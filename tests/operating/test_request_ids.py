"""Request ids: on every answer, in every error's OperationOutcome, in the logs; the access log."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import orjson
import pytest
from click.testing import CliRunner
from fastapi import FastAPI

from server.app import create_app
from server.cli import main
from server.logs import REQUEST_ID_EXTENSION, configure_logging
from server.settings import Settings
from tests.conftest import make_patient

pytestmark = pytest.mark.anyio


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The fhirport loggers' output, as ``fhirport serve --log-format json`` writes it."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("info", "json", stream=stream)
    yield stream
    root.handlers[:], level = saved
    root.setLevel(level)


async def _app(settings: Settings, **overrides: object) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings.model_copy(update=overrides))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            http.app = app  # type: ignore[attr-defined]
            yield http


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _app(settings):
        yield client


async def test_every_answer_carries_its_own_request_id(http: httpx.AsyncClient) -> None:
    answers = [
        await http.get("/fhir/metadata"),
        await http.get("/fhir/Patient/nobody"),
        await http.get("/no/such/path"),
        await http.get("/fhir/metadata", headers={"host": "evil.example"}),
        await http.get("/healthz"),
    ]

    ids = [a.headers.get("x-request-id") for a in answers]
    assert all(ids), ids
    assert len(set(ids)) == len(ids), ids


async def test_a_callers_request_id_is_kept_when_it_is_a_plain_token(
    http: httpx.AsyncClient,
) -> None:
    kept = await http.get("/fhir/metadata", headers={"x-request-id": "lb-7f3a.2_x"})
    replaced = [
        await http.get("/fhir/metadata", headers={"x-request-id": value})
        for value in ("a" * 200, "two words", "x;drop", "")
    ]

    assert kept.headers["x-request-id"] == "lb-7f3a.2_x"
    for answer in replaced:
        assert answer.headers["x-request-id"] not in ("a" * 200, "two words", "x;drop", "")


async def test_an_error_outcome_quotes_the_request_id(http: httpx.AsyncClient) -> None:
    answers = [
        await http.get("/fhir/Patient/nobody"),
        await http.post(
            "/fhir/Patient", content=b"{", headers={"content-type": "application/fhir+json"}
        ),
        await http.get("/fhir/Unheld"),
    ]

    for answer in answers:
        assert answer.status_code >= 400
        (extension,) = answer.json()["extension"]
        assert extension == {
            "url": REQUEST_ID_EXTENSION,
            "valueString": answer.headers["x-request-id"],
        }


async def test_json_logs_name_the_request_they_happened_in(
    http: httpx.AsyncClient, captured: io.StringIO
) -> None:
    await http.app.state.store.close()  # type: ignore[attr-defined]
    answer = await http.get("/fhir/Patient/p1")

    assert answer.status_code == 503
    records = [orjson.loads(line) for line in captured.getvalue().splitlines()]
    warning = next(r for r in records if r["logger"] == "fhirport.errors")
    assert warning["level"] == "WARNING"
    assert warning["request_id"] == answer.headers["x-request-id"]
    assert "Store unavailable" in warning["message"]


async def test_the_access_log_is_off_unless_asked_and_leaves_queries_out(
    settings: Settings, captured: io.StringIO
) -> None:
    async for http in _app(settings):
        await http.get("/fhir/Patient?family=secret-name")
    assert '"fhirport.access"' not in captured.getvalue()

    async for http in _app(settings, access_log=True):
        created = await http.post("/fhir/Patient", json=make_patient())
        await http.get("/fhir/Patient?family=secret-name")
    lines = [orjson.loads(line) for line in captured.getvalue().splitlines()]
    access = [r for r in lines if r["logger"] == "fhirport.access"]
    assert [(r["method"], r["path"], r["status"]) for r in access] == [
        ("POST", "/fhir/Patient", 201),
        ("GET", "/fhir/Patient", 200),
    ]
    assert access[0]["request_id"] == created.headers["x-request-id"]
    assert all("secret-name" not in orjson.dumps(r).decode() for r in _ours(lines))

    async for http in _app(settings, access_log=True, access_log_queries=True):
        await http.get("/fhir/Patient?family=secret-name")
    lines = [orjson.loads(line) for line in captured.getvalue().splitlines()]
    assert any(r.get("query") == "family=secret-name" for r in _ours(lines))


def _ours(records: list[dict[str, object]]) -> list[dict[str, object]]:
    """fhirport's records (the test's HTTP client logs its own URLs)."""
    return [r for r in records if str(r["logger"]).startswith("fhirport")]


def test_serve_takes_the_log_options() -> None:
    text = CliRunner().invoke(main, ["serve", "--help"]).output
    assert "--log-format [text|json]" in text
    assert "--access-log" in text
    assert "--access-log-queries" in text


def test_text_logs_outside_a_request_show_a_dash() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("info", "text", stream=stream)
    try:
        logging.getLogger("fhirport.test").info("started")
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)

    assert stream.getvalue().rstrip().endswith("INFO fhirport.test [-] started")
