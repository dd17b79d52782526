"""The HL7v2 workbench through HTTP: read, convert, ingest, the ledger, an import report."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.console.signing import csrf_of, sign_in

pytestmark = pytest.mark.anyio

A04 = (
    "MSH|^~\\&|LEGACYEHR|NORTHCLINIC|FHIRPORT|MAIN|20240102083000||ADT^A04^ADT_A01|WB0001|P|2.5.1\n"
    "EVN|A04|20240102083000\n"
    "PID|1||MRN777^^^NORTH^MR||EVERYMAN^ADAM^A||19800101|M|||1 Main St^^Columbus^OH^43004\n"
)
REPORT = Path(__file__).with_name("import-report.json")


async def _post(console: httpx.AsyncClient, action: str, message: str) -> httpx.Response:
    form = await console.get("/console/hl7")
    assert form.status_code == 200
    return await console.post(
        "/console/hl7",
        data={"csrf_token": csrf_of(form.text), "action": action, "message": message},
    )


async def _patients(console: httpx.AsyncClient) -> list[dict[str, object]]:
    found = (await console.get("/fhir/Patient", params={"identifier": "MRN777"})).json()
    return [entry["resource"] for entry in found.get("entry", ())]


async def test_the_workbench_has_a_labelled_message_field(console: httpx.AsyncClient) -> None:
    page = await console.get("/console/hl7")
    assert page.status_code == 200
    assert '<label for="message">' in page.text
    assert '<textarea id="message" name="message"' in page.text


async def test_read_names_the_fields_and_shows_the_fhir_without_storing(
    console: httpx.AsyncClient,
) -> None:
    page = await _post(console, "read", A04)
    assert page.status_code == 200
    assert "PID-5.1" in page.text
    assert "Family name" in page.text
    assert "EVERYMAN" in page.text
    assert "Patient identifier list" in page.text
    assert "PUT Patient/" in page.text
    assert "/console/hl7/ledger?sender=LEGACYEHR%7CNORTHCLINIC&amp;control-id=WB0001" in page.text
    assert "&#34;resourceType&#34;: &#34;Patient&#34;" in page.text
    assert await _patients(console) == []


async def test_ingest_stores_it_and_shows_the_patient_it_made(console: httpx.AsyncClient) -> None:
    answer = await _post(console, "ingest", A04)
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        "/console/hl7/ledger?sender=LEGACYEHR%7CNORTHCLINIC&control-id=WB0001"
    )
    [patient] = await _patients(console)
    page = await console.get(answer.headers["location"])
    assert page.status_code == 200
    assert "applied" in page.text
    assert f'href="/console/Patient/{patient["id"]}"' in page.text
    assert f'href="/console/chart/{patient["id"]}"' in page.text


async def test_an_unreadable_message_is_refused_with_the_reason(console: httpx.AsyncClient) -> None:
    page = await _post(console, "ingest", "PID|1||X")
    assert page.status_code == 400
    assert 'role="alert"' in page.text
    assert "MSH" in page.text


async def test_a_message_not_in_the_ledger_is_404(console: httpx.AsyncClient) -> None:
    page = await console.get(
        "/console/hl7/ledger", params={"sender": "LEGACYEHR|NORTHCLINIC", "control-id": "NOPE"}
    )
    assert page.status_code == 404
    assert "NOPE" in page.text


async def test_an_import_report_shows_totals_failures_and_gaps(console: httpx.AsyncClient) -> None:
    form = await console.get("/console/hl7/report")
    page = await console.post(
        "/console/hl7/report",
        data={"csrf_token": csrf_of(form.text)},
        files={"report": ("import-report.json", REPORT.read_bytes(), "application/json")},
    )
    assert page.status_code == 200
    assert "2 messages from 1 files" in page.text
    assert "PID-3 (patient identifier list) has no identifier" in page.text
    assert "/console/hl7/ledger?sender=LEGACYEHR%7CNORTHCLINIC&amp;control-id=G2" in page.text
    assert "v2-local/LEGACYEHR/NORTHCLINIC/0001" in page.text


async def test_a_file_that_is_not_a_report_is_400(console: httpx.AsyncClient) -> None:
    form = await console.get("/console/hl7/report")
    page = await console.post(
        "/console/hl7/report",
        data={"csrf_token": csrf_of(form.text)},
        files={"report": ("x.json", b"{}", "application/json")},
    )
    assert page.status_code == 400
    assert "not an import report" in page.text


async def test_ingest_needs_the_users_access(smart_console: httpx.AsyncClient) -> None:
    await sign_in(smart_console, "user/Patient.rs")
    page = await _post(smart_console, "ingest", A04)
    assert page.status_code == 403


NO_IDENTIFIER = A04.replace("MRN777^^^NORTH^MR", "").replace("WB0001", "WB0002")


async def test_read_shows_why_the_server_cannot_convert(console: httpx.AsyncClient) -> None:
    page = await _post(console, "read", NO_IDENTIFIER)
    assert page.status_code == 200
    assert "The server cannot convert this message" in page.text
    assert "PID-3" in page.text


async def test_a_refused_ingest_shows_its_outcome_and_reason(console: httpx.AsyncClient) -> None:
    answer = await _post(console, "ingest", NO_IDENTIFIER)
    if answer.status_code == 303:
        answer = await console.get(answer.headers["location"])
    assert answer.status_code == 200
    assert "failed" in answer.text
    assert "PID-3 (patient identifier list) has no identifier" in answer.text
