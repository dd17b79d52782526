"""Record queries through the server: ``POST /fhir/$hl7v2-query`` and the MLLP listener."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest

from hl7.er7 import parse
from hl7.mllp_client import send_messages
from server.app import create_app
from server.settings import Settings
from tests.conftest import FHIR_JSON
from tests.e2e.server_process import free_port
from tests.hl7_query.conftest import names
from tests.hl7_query.factories import MERCY, patient, privacy_consent, qry_a19

pytestmark = pytest.mark.anyio
ER7 = {"Content-Type": "x-application/hl7-v2+er7"}


@pytest.fixture
def mllp_port() -> int:
    return free_port()


@pytest.fixture
async def server(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mllp_port: int
) -> AsyncIterator[httpx.AsyncClient]:
    config = tmp_path / "queries.json"
    config.write_bytes(
        orjson.dumps({"senders": {"MERCY": {"reference": MERCY, "purpose": "TREAT"}}})
    )
    monkeypatch.setenv("FHIRPORT_HL7_QUERY_CONFIG", str(config))
    app = create_app(settings.model_copy(update={"mllp_port": mllp_port}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            for resource in (
                patient("pat-1", "0100137", "Doe", "Jane"),
                privacy_consent("c-1", "pat-1"),
            ):
                url = f"/fhir/{resource['resourceType']}/{resource['id']}"
                assert (await http.put(url, json=resource, headers=FHIR_JSON)).status_code == 201
            yield http


async def test_a_query_over_http_is_answered_and_recorded(server: httpx.AsyncClient) -> None:
    response = await server.post("/fhir/$hl7v2-query", content=qry_a19("0100137"), headers=ER7)

    assert response.status_code == 200
    answer = parse(response.content)
    assert names(answer)[:2] == ["MSH", "MSA"]
    assert answer.segment("PID") is not None
    assert answer.segment("PID").get(5) == "Doe"  # type: ignore[union-attr]
    audits = (await server.get("/fhir/AuditEvent")).json()
    assert len(audits["entry"]) == 1


async def test_a_message_that_is_not_a_query_is_400(server: httpx.AsyncClient) -> None:
    adt = b"MSH|^~\\&|EHR|MERCY|FHIRPORT|HIM|20261125090000||ADT^A08|X1|P|2.5\rPID|1||0100137"

    response = await server.post("/fhir/$hl7v2-query", content=adt, headers=ER7)

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_the_mllp_listener_answers_queries(server: httpx.AsyncClient, mllp_port: int) -> None:
    async with asyncio.timeout(20):
        (answer,) = await send_messages("127.0.0.1", mllp_port, [qry_a19("0100137")])

    assert names(parse(answer))[:3] == ["MSH", "MSA", "QAK"]
    assert parse(answer).segment("PID") is not None
