"""A resource's page: its readable view beside its JSON, its history with a diff of two
versions, and the editor that validates before it saves, all through the API."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from tests.conftest import make_claim, make_patient
from tests.console.signing import csrf_of, sign_in
from tests.referenced import provide_targets
from tests.scheduling.booking import make_appointment

pytestmark = pytest.mark.anyio


async def put(http: httpx.AsyncClient, resource: dict[str, Any], **headers: str) -> dict[str, Any]:
    await provide_targets(http, resource, headers=headers or None)
    path = f"/fhir/{resource['resourceType']}/{resource['id']}"
    answer = await http.put(path, json=resource, headers=headers or None)
    assert answer.status_code in (200, 201), answer.text
    stored: dict[str, Any] = answer.json()
    return stored


async def test_a_patients_page_shows_the_demographics_card_and_the_json(
    console: httpx.AsyncClient,
) -> None:
    await put(console, make_patient(id="p1", name=[{"family": "Nakamura", "given": ["Aiko"]}]))
    page = await console.get("/console/Patient/p1")
    assert page.status_code == 200
    assert '<h2 class="card-title">Aiko Nakamura</h2>' in page.text
    assert "1980-02-29" in page.text
    assert "&#34;resourceType&#34;: &#34;Patient&#34;" in page.text  # the JSON, escaped


async def test_an_appointments_page_shows_its_time_and_participants(
    console: httpx.AsyncClient,
) -> None:
    await put(console, make_patient(id="ap1", name=[{"family": "Ito"}]))
    await put(console, {"resourceType": "Practitioner", "id": "dr1", "name": [{"family": "Kim"}]})
    appointment = make_appointment(
        "2026-03-02T09:00:00Z", "2026-03-02T09:30:00Z", "Patient/ap1", "Practitioner/dr1", id="a1"
    )
    await put(console, appointment)
    page = await console.get("/console/Appointment/a1")
    assert page.status_code == 200
    assert "2026-03-02 09:00 UTC" in page.text
    assert "30 minutes" in page.text
    assert 'href="/console/Practitioner/dr1"' in page.text


async def test_a_claims_page_shows_its_lines_and_total(console: httpx.AsyncClient) -> None:
    await put(console, make_patient(id="cp1"))
    items = [
        {
            "sequence": 1,
            "productOrService": {"text": "Office visit"},
            "net": {"value": 120, "currency": "USD"},
        },
        {
            "sequence": 2,
            "productOrService": {"text": "X-ray"},
            "net": {"value": 80.5, "currency": "USD"},
        },
    ]
    claim = make_claim(
        "Patient/cp1", id="cl1", item=items, total={"value": 200.5, "currency": "USD"}
    )
    await put(console, claim)
    page = await console.get("/console/Claim/cl1")
    assert page.status_code == 200
    assert "Office visit" in page.text
    assert "80.50 USD" in page.text
    assert "200.50 USD" in page.text


async def test_another_type_gets_the_generic_view(console: httpx.AsyncClient) -> None:
    await put(console, {"resourceType": "Organization", "id": "o1", "name": "North Clinic"})
    page = await console.get("/console/Organization/o1")
    assert "<dt>Name</dt><dd>North Clinic</dd>" in page.text


async def test_viewing_a_page_is_audited_as_a_read(
    console: httpx.AsyncClient, console_app: FastAPI
) -> None:
    await put(console, make_patient(id="seen"))
    await console.get("/console/Patient/seen")
    await console_app.state.audit.flush()
    events = await console.get("/fhir/AuditEvent", params={"entity": "Patient/seen", "action": "R"})
    subtypes = [
        coding["code"]
        for entry in events.json().get("entry", ())
        for coding in entry["resource"].get("subtype", ())
    ]
    assert "read" in subtypes


async def test_an_unknown_resource_is_the_apis_404(console: httpx.AsyncClient) -> None:
    page = await console.get("/console/Patient/nobody")
    assert page.status_code == 404


async def test_the_history_shows_the_diff_of_two_versions(console: httpx.AsyncClient) -> None:
    await put(console, make_patient(id="h1", name=[{"family": "Smith"}]))
    await put(console, make_patient(id="h1", name=[{"family": "Smyth"}]))
    page = await console.get("/console/Patient/h1/_history", params={"from": "1", "to": "2"})
    assert page.status_code == 200
    assert '<div class="del">' in page.text
    assert "Smith" in page.text.split('<div class="del">', 1)[1].split("</div>", 1)[0]
    assert "Smyth" in page.text.split('<div class="add">', 1)[1].split("</div>", 1)[0]


async def edit(
    http: httpx.AsyncClient, path: str, body: str, version: str, action: str = "save"
) -> httpx.Response:
    form = await http.get(f"{path}/edit")
    assert form.status_code == 200
    return await http.post(
        f"{path}/edit",
        data={
            "csrf_token": csrf_of(form.text),
            "resource": body,
            "version": version,
            "action": action,
        },
    )


async def test_the_editor_saves_through_the_api_with_if_match(
    console: httpx.AsyncClient, console_app: FastAPI
) -> None:
    stored = await put(console, make_patient(id="e1", gender="male"))
    stored["gender"] = "female"
    answer = await edit(console, "/console/Patient/e1", orjson.dumps(stored).decode(), "1")
    assert answer.status_code == 303
    now = (await console.get("/fhir/Patient/e1")).json()
    assert now["gender"] == "female"
    assert now["meta"]["versionId"] == "2"
    await console_app.state.audit.flush()
    events = await console.get("/fhir/AuditEvent", params={"entity": "Patient/e1", "action": "U"})
    assert events.json().get("total", len(events.json().get("entry", ()))) >= 1


async def test_the_editor_does_not_save_what_validate_refuses(console: httpx.AsyncClient) -> None:
    stored = await put(console, make_patient(id="e2"))
    stored["gender"] = "robot"
    answer = await edit(console, "/console/Patient/e2", orjson.dumps(stored).decode(), "1")
    assert answer.status_code in (400, 422)
    assert "gender" in answer.text
    assert (await console.get("/fhir/Patient/e2")).json()["meta"]["versionId"] == "1"


async def test_the_editor_refuses_text_that_is_not_json(console: httpx.AsyncClient) -> None:
    await put(console, make_patient(id="e3"))
    answer = await edit(console, "/console/Patient/e3", "{not json", "1")
    assert answer.status_code == 400
    assert "{not json" in answer.text  # kept in the editor to fix
    assert (await console.get("/fhir/Patient/e3")).json()["meta"]["versionId"] == "1"


async def test_the_editor_refuses_a_stale_version(console: httpx.AsyncClient) -> None:
    stored = await put(console, make_patient(id="e4"))
    await put(console, make_patient(id="e4", gender="female"))
    answer = await edit(console, "/console/Patient/e4", orjson.dumps(stored).decode(), "1")
    assert answer.status_code == 412
    assert (await console.get("/fhir/Patient/e4")).json()["meta"]["versionId"] == "2"


async def test_an_editor_post_without_the_csrf_token_writes_nothing(
    console: httpx.AsyncClient,
) -> None:
    stored = await put(console, make_patient(id="e5"))
    stored["gender"] = "female"
    answer = await console.post(
        "/console/Patient/e5/edit",
        data={"resource": orjson.dumps(stored).decode(), "version": "1", "action": "save"},
    )
    assert answer.status_code == 403
    assert (await console.get("/fhir/Patient/e5")).json()["gender"] == "male"


async def test_without_the_scope_the_page_shows_the_403(smart_console: httpx.AsyncClient) -> None:
    from tests.auth.smart_app import ADMIN, bearer

    await put(smart_console, make_patient(id="s1"), **bearer(ADMIN))
    await sign_in(smart_console, "user/Claim.rs")
    page = await smart_console.get("/console/Patient/s1")
    assert page.status_code == 403
    assert "Álvarez" not in page.text


async def test_a_read_only_user_cannot_save(smart_console: httpx.AsyncClient) -> None:
    from tests.auth.smart_app import ADMIN, bearer

    stored = await put(smart_console, make_patient(id="s2"), **bearer(ADMIN))
    await sign_in(smart_console, "user/Patient.rs")
    stored["gender"] = "female"
    answer = await edit(smart_console, "/console/Patient/s2", orjson.dumps(stored).decode(), "1")
    assert answer.status_code == 403
    check = await smart_console.get("/fhir/Patient/s2", headers=bearer(ADMIN))
    assert check.json()["gender"] == "male"
