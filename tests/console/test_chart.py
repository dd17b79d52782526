"""The patient chart through HTTP: finder, timeline, registration check, disclosures."""

from __future__ import annotations

import anyio
import httpx
import pytest
from markupsafe import escape

from tests.console.signing import sign_in
from tests.roi.factories import load

pytestmark = pytest.mark.anyio


async def test_find_a_patient_by_name(console: httpx.AsyncClient) -> None:
    await load(console, "pat-0001")
    patient = (await console.get("/fhir/Patient/pat-0001")).json()
    family = patient["name"][0]["family"]
    page = await console.get("/console/chart", params={"name": family})
    assert page.status_code == 200
    assert 'href="/console/chart/pat-0001"' in page.text
    assert '<label for="name">' in page.text


async def test_the_chart_puts_the_record_on_a_timeline(console: httpx.AsyncClient) -> None:
    records = await load(console, "pat-0001")
    page = await console.get("/console/chart/pat-0001")
    assert page.status_code == 200
    for kind in ("Appointment", "Coverage", "Claim", "Consent"):
        [first] = [r for r in records if r["resourceType"] == kind][:1]
        assert f'href="/console/{kind}/{first["id"]}"' in page.text, kind
    # the record, not what it points at nor the audit trail of reading it
    assert 'href="/console/Practitioner/' not in page.text
    assert 'href="/console/AuditEvent/' not in page.text
    # newest first: the dates on the timeline never go up
    days = [
        line.split('datetime="')[1][:10]
        for line in page.text.splitlines()
        if "<time datetime=" in line
    ]
    assert days
    assert days == sorted(days, reverse=True)


async def test_the_chart_shows_the_registration_check_or_says_it_is_not_available(
    console: httpx.AsyncClient,
) -> None:
    await load(console, "pat-0001")
    check = await console.get("/fhir/Patient/pat-0001/$registration-check")
    page = await console.get("/console/chart/pat-0001")
    if check.status_code == 404:
        assert "Registration check: not available on this server" in page.text
        return
    assert check.status_code == 200
    assert "not available" not in page.text
    for issue in check.json().get("issue", ()):
        assert str(escape(issue["diagnostics"])) in page.text


async def test_the_chart_lists_the_patients_disclosures(console: httpx.AsyncClient) -> None:
    await load(console, "pat-0001")
    from tests.roi.factories import LAW_FIRM, file_task, make_roi_task

    task = await file_task(
        console,
        make_roi_task(
            "pat-0001", "HLEGAL", LAW_FIRM, types=("Claim",), authorization="cons-roi-0001"
        ),
    )
    assert (await console.post(f"/fhir/Task/{task['id']}/$release")).status_code == 200
    page = await console.get("/console/chart/pat-0001")
    assert LAW_FIRM in page.text


async def test_an_unknown_patient_is_404(console: httpx.AsyncClient) -> None:
    page = await console.get("/console/chart/nobody")
    assert page.status_code == 404


async def test_a_patient_user_cannot_open_another_patients_chart(
    smart_console: httpx.AsyncClient,
) -> None:
    await sign_in(smart_console, "patient/*.rs", patient="pat-0002")
    page = await smart_console.get("/console/chart/pat-0001")
    assert page.status_code in (403, 404)


async def test_opening_the_chart_is_audited_like_any_read(console: httpx.AsyncClient) -> None:
    await load(console, "pat-0001")

    async def audited() -> int:
        found = await console.get(
            "/fhir/AuditEvent", params={"patient": "Patient/pat-0001", "_summary": "count"}
        )
        total: int = found.json()["total"]
        return total

    before = await audited()
    assert (await console.get("/console/chart/pat-0001")).status_code == 200
    # The trail is written behind the answers (server.audit.trail): wait for its flush.
    for _ in range(50):
        if await audited() > before:
            return
        await anyio.sleep(0.1)
    pytest.fail("opening the chart recorded no AuditEvent naming the patient")


async def test_a_patient_user_opens_their_own_chart(smart_console: httpx.AsyncClient) -> None:
    from tests.auth.smart_app import bearer

    smart_console.headers["Authorization"] = bearer("system/*.cruds")["Authorization"]
    await load(smart_console, "pat-0001")
    del smart_console.headers["Authorization"]
    await sign_in(smart_console, "patient/*.rs", patient="pat-0001")
    page = await smart_console.get("/console/chart/pat-0001")
    assert page.status_code == 200
    assert 'href="/console/Claim/' in page.text
