"""$hl7v2-ingest, $hl7v2-convert and $hl7v2-ledger over HTTP, on every store."""

from __future__ import annotations

import httpx
import pytest

from hl7.framing import frame
from tests.ingest.messages import ARCHIVE, adt, unsupported

pytestmark = pytest.mark.anyio
ER7 = {"Content-Type": "x-application/hl7-v2+er7"}


def patient_reference(entry: dict[str, object]) -> str:
    response = entry["response"]
    assert isinstance(response, dict)
    location = str(response["location"])
    assert location.startswith("Patient/")
    return location.split("/_history/")[0]


async def test_ingest_answers_one_entry_per_message(client: httpx.AsyncClient) -> None:
    body = adt("H1") + b"\r" + unsupported("H2")

    response = await client.post("/fhir/$hl7v2-ingest", content=body, headers=ER7)

    assert response.status_code == 200
    bundle = response.json()
    assert bundle["type"] == "batch-response"
    applied, refused = bundle["entry"]
    assert applied["response"]["status"] == "200 OK"
    issues = applied["response"]["outcome"]["issue"]
    assert issues[0]["severity"] == "information"
    assert "applied (ACK AA)" in issues[0]["diagnostics"]
    reference = patient_reference(applied)
    assert any(i["diagnostics"] == f"{reference} created (version 1)" for i in issues)
    assert refused["response"]["status"] == "400 Bad Request"
    error = refused["response"]["outcome"]["issue"][0]
    assert error["severity"] == "error"
    assert error["code"] == "not-supported"
    assert "ORU^R01" in error["diagnostics"]
    stored = await client.get(f"/fhir/{reference}")
    assert stored.status_code == 200
    assert stored.json()["name"] == [{"family": "Doe", "given": ["Ann"]}]
    assert stored.json()["meta"]["source"] == "urn:hl7v2:LEGACY|NORTH#H1"


async def test_ingest_accepts_mllp_framed_text_plain(client: httpx.AsyncClient) -> None:
    body = frame(adt("F1")) + frame(adt("F2", event="A08", family="Roe", when="20240106"))

    response = await client.post(
        "/fhir/$hl7v2-ingest", content=body, headers={"Content-Type": "text/plain"}
    )

    entries = response.json()["entry"]
    assert [e["response"]["status"] for e in entries] == ["200 OK", "200 OK"]
    reference = patient_reference(entries[1])
    assert reference == patient_reference(entries[0])
    assert (await client.get(f"/fhir/{reference}")).json()["meta"]["versionId"] == "2"


async def test_resend_is_a_duplicate(client: httpx.AsyncClient) -> None:
    await client.post("/fhir/$hl7v2-ingest", content=adt("D1"), headers=ER7)

    again = await client.post("/fhir/$hl7v2-ingest", content=adt("D1"), headers=ER7)

    issue = again.json()["entry"][0]["response"]["outcome"]["issue"][0]
    assert "duplicate (ACK AA)" in issue["diagnostics"]


async def test_convert_returns_a_transaction_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/fhir/$hl7v2-convert", content=adt("C1"), headers=ER7)

    assert response.status_code == 200
    bundle = response.json()
    assert bundle["type"] == "transaction"
    (entry,) = [e for e in bundle["entry"] if e["request"]["url"].startswith("Patient/")]
    assert entry["request"]["method"] == "PUT"
    assert entry["resource"]["id"] == entry["request"]["url"].removeprefix("Patient/")
    assert entry["resource"]["meta"]["source"] == "urn:hl7v2:LEGACY|NORTH#C1"
    assert "versionId" not in entry["resource"]["meta"]  # the server stamps on apply
    assert (await client.get(f"/fhir/{entry['request']['url']}")).status_code == 404
    ledger = await client.get(
        "/fhir/$hl7v2-ledger", params={"sender": "LEGACY|NORTH", "control-id": "C1"}
    )
    assert ledger.status_code == 404


async def test_convert_of_an_unsupported_message_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/fhir/$hl7v2-convert", content=unsupported("U1"), headers=ER7)

    assert response.status_code == 422
    issue = response.json()["issue"][0]
    assert "ORU^R01 U1" in issue["diagnostics"]
    assert "(AR)" in issue["diagnostics"]


async def test_ledger_shows_the_raw_message_and_what_it_touched(
    client: httpx.AsyncClient,
) -> None:
    ingested = await client.post("/fhir/$hl7v2-ingest", content=adt("L1"), headers=ER7)
    reference = patient_reference(ingested.json()["entry"][0])

    response = await client.get(
        "/fhir/$hl7v2-ledger", params={"sender": "LEGACY|NORTH", "control-id": "L1"}
    )

    assert response.status_code == 200
    parameters = {p["name"]: p for p in response.json()["parameter"]}
    assert parameters["outcome"]["valueCode"] == "applied"
    assert parameters["messageType"]["valueString"] == "ADT^A04"
    assert parameters["message"]["valueString"].startswith("MSH|^~\\&|LEGACY|NORTH|")
    assert parameters["touched"]["valueReference"]["reference"] == f"{reference}/_history/1"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        pytest.param(
            "POST",
            "/fhir/$hl7v2-ingest",
            {"content": b'{"a": 1}', "headers": {"Content-Type": "application/json"}},
            415,
            id="json-body",
        ),
        pytest.param(
            "POST", "/fhir/$hl7v2-ingest", {"content": b"  ", "headers": ER7}, 400, id="empty"
        ),
        pytest.param("GET", "/fhir/$hl7v2-ledger", {}, 400, id="ledger-without-key"),
    ],
)
async def test_bad_requests_are_operation_outcomes(
    client: httpx.AsyncClient, method: str, path: str, kwargs: dict[str, object], status: int
) -> None:
    response = await client.request(method, path, **kwargs)  # type: ignore[arg-type]

    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_garbage_is_rejected_not_crashed(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/fhir/$hl7v2-ingest", content=b"hello, this is not HL7\r", headers=ER7
    )

    assert response.status_code == 200
    entry = response.json()["entry"][0]
    assert entry["response"]["status"] == "400 Bad Request"


async def test_ingest_a_whole_fhs_bhs_batch(client: httpx.AsyncClient) -> None:
    body = (ARCHIVE / "dft-charges.hl7").read_bytes()

    response = await client.post("/fhir/$hl7v2-ingest", content=body, headers=ER7)

    entries = response.json()["entry"]
    assert len(entries) == body.count(b"MSH|") == 60
    assert {e["response"]["status"] for e in entries} == {"200 OK"}
    for entry in entries:
        issues = [i["diagnostics"] for i in entry["response"]["outcome"]["issue"]]
        assert any(d.startswith("Claim/") and " created " in d for d in issues), issues


async def test_capability_statement_lists_the_operations(client: httpx.AsyncClient) -> None:
    statement = (await client.get("/fhir/metadata")).json()

    names = {op["name"] for op in statement["rest"][0]["operation"]}
    assert {"hl7v2-ingest", "hl7v2-convert", "hl7v2-ledger"} <= names


@pytest.mark.parametrize("operation", ["$hl7v2-ingest", "$hl7v2-convert", "$hl7v2-query"])
async def test_a_wrong_verb_on_a_system_operation_is_405(
    client: httpx.AsyncClient, operation: str
) -> None:
    response = await client.get(f"/fhir/{operation}")

    assert response.status_code == 405
    assert response.json()["resourceType"] == "OperationOutcome"
