"""The records desk through HTTP: the work list, a request, release, extend, disclosures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.console.signing import csrf_of, sign_in
from tests.roi.factories import LAW_FIRM, file_task, load, make_roi_task

pytestmark = pytest.mark.anyio


def _today() -> date:
    return datetime.now(UTC).date()


async def _request(console: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    await load(console, "pat-0001")
    task = make_roi_task("pat-0001", "PATRQT", "Patient/pat-0001", types=("Claim",), **overrides)
    return await file_task(console, task)


async def _post(console: httpx.AsyncClient, url: str, **data: str) -> httpx.Response:
    page = await console.get(url.rsplit("/", 1)[0])
    return await console.post(url, data={"csrf_token": csrf_of(page.text), **data})


async def test_the_work_list_sorts_requests_into_overdue_due_soon_and_open(
    console: httpx.AsyncClient,
) -> None:
    soon = await _request(console, authoredOn=str(_today()))
    late = await _request(
        console,
        authoredOn=str(_today() - timedelta(days=40)),
        restriction={
            "recipient": [{"reference": "Patient/pat-0001"}],
            "period": {"end": str(_today() - timedelta(days=10))},
        },
    )
    page = await console.get("/console/roi")
    assert page.status_code == 200
    assert f'href="/console/roi/{soon["id"]}"' in page.text
    assert f'href="/console/roi/{late["id"]}"' in page.text
    overdue_row = page.text.split(f'href="/console/roi/{late["id"]}"')[0].rsplit("<tr", 1)[1]
    assert "overdue" in overdue_row
    assert "1 overdue" in page.text


async def test_release_from_the_desk_shows_each_decision(console: httpx.AsyncClient) -> None:
    task = await _request(console)
    page = await console.get(f"/console/roi/{task['id']}")
    assert page.status_code == 200
    assert "Release" in page.text
    answer = await _post(console, f"/console/roi/{task['id']}/release")
    assert answer.status_code == 200
    assert "released" in answer.text
    assert "Claim/" in answer.text  # one decision per record, with its reason
    assert "permit" in answer.text
    stored = (await console.get(f"/fhir/Task/{task['id']}")).json()
    assert stored["status"] == "completed"
    accounting = (await console.get("/fhir/Patient/pat-0001/$disclosures?all=true")).json()
    assert accounting["total"] == 1


async def test_extend_moves_the_due_date_once(console: httpx.AsyncClient) -> None:
    task = await _request(console)
    due = task["restriction"]["period"]["end"]
    answer = await _post(console, f"/console/roi/{task['id']}/extend", reason="records off site")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/console/roi/{task['id']}"
    stored = (await console.get(f"/fhir/Task/{task['id']}")).json()
    assert stored["restriction"]["period"]["end"] > due
    page = await console.get(answer.headers["location"])
    assert "records off site" in page.text
    again = await _post(console, f"/console/roi/{task['id']}/extend", reason="more")
    assert again.status_code == 422
    assert 'role="alert"' in again.text


async def test_the_accounting_of_disclosures(console: httpx.AsyncClient) -> None:
    await load(console, "pat-0001")
    task = await file_task(
        console,
        make_roi_task(
            "pat-0001", "HLEGAL", LAW_FIRM, types=("Claim",), authorization="cons-roi-0001"
        ),
    )
    released = await console.post(f"/fhir/Task/{task['id']}/$release")
    assert released.status_code == 200, released.text
    page = await console.get(
        "/console/roi/disclosures", params={"patient": "pat-0001", "all": "true"}
    )
    assert page.status_code == 200
    assert LAW_FIRM in page.text
    assert "HLEGAL" in page.text


async def test_the_desk_needs_the_users_access(smart_console: httpx.AsyncClient) -> None:
    await sign_in(smart_console, "user/Patient.rs")
    page = await smart_console.get("/console/roi")
    assert page.status_code == 403


async def test_the_work_list_names_the_patients(console: httpx.AsyncClient) -> None:
    await _request(console)
    patient = (await console.get("/fhir/Patient/pat-0001")).json()
    family = patient["name"][0]["family"]
    page = await console.get("/console/roi")
    assert family in page.text
