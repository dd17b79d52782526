"""$send-reminders: one Communication per booked Appointment in the window, sent once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from server.settings import Settings
from tests.conftest import running_app
from tests.reminders.world import (
    book,
    counts,
    email,
    make_patient,
    phone,
    reminders_of,
    store_world,
    tally,
    visit,
)

pytestmark = pytest.mark.anyio

SEND = "/fhir/Appointment/$send-reminders"


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    return tmp_path / "reminders"


@pytest.fixture
async def http(settings: Settings, outbox: Path) -> AsyncIterator[httpx.AsyncClient]:
    configured = settings.model_copy(update={"reminder_sender": f"file:{outbox}"})
    async with running_app(configured) as client:
        yield client


def sent_files(outbox: Path) -> list[dict[str, Any]]:
    return [orjson.loads(p.read_bytes()) for p in sorted(outbox.glob("*.json"))]


async def test_reminders_sent_once(http: httpx.AsyncClient, outbox: Path) -> None:
    patient = make_patient(
        "rem-ana",
        email("old@example.org", use="old", rank=1),
        phone("+1 555 0100", rank=2),
        email("ana@example.org", rank=3),
    )
    await store_world(http, patient)
    await book(
        http,
        "soon",
        visit("rem-ana", 3, patientInstruction="Fast for 8 hours", comment="Bring your card"),
    )
    await book(http, "later", visit("rem-ana", 24 * 5))
    await book(http, "called-off", visit("rem-ana", 6, status="cancelled"))

    first = await http.post(SEND)
    again = await http.post(SEND)

    assert first.status_code == 200, first.text
    assert counts(first.json()) == tally(created=1, sent=1)
    assert counts(again.json()) == tally(skipped=1)
    [reminder] = await reminders_of(http, "soon")
    assert reminder["status"] == "completed"
    assert reminder["subject"] == {"reference": "Patient/rem-ana"}
    assert reminder["about"] == [{"reference": "Appointment/soon"}]
    text = reminder["payload"][0]["contentString"]
    assert "North Clinic" in text
    assert "Fast for 8 hours" in text
    assert "Bring your card" in text
    [message] = sent_files(outbox)
    assert message["to"] == {"system": "phone", "value": "+1 555 0100"}
    assert message["communication"] == f"Communication/{reminder['id']}"
    assert await reminders_of(http, "later") == []
    assert await reminders_of(http, "called-off") == []


async def test_within_sets_the_window(http: httpx.AsyncClient, outbox: Path) -> None:
    await store_world(http, make_patient("rem-ben", email("ben@example.org")))
    await book(http, "in-three-days", visit("rem-ben", 72))

    default = await http.post(SEND)
    wider = await http.post(f"{SEND}?within=4d")

    assert counts(default.json())["created"] == 0
    assert counts(wider.json())["created"] == 1


async def test_within_in_a_parameters_body(http: httpx.AsyncClient) -> None:
    await store_world(http, make_patient("rem-cy", email("cy@example.org")))
    await book(http, "in-an-hour", visit("rem-cy", 1))
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "within",
                "valueDuration": {"value": 30, "unit": "min", "system": "http://unitsofmeasure.org",
                                  "code": "min"},
            }
        ],
    }  # fmt: skip

    narrow = await http.post(SEND, json=body)

    assert narrow.status_code == 200, narrow.text
    assert counts(narrow.json())["created"] == 0


@pytest.mark.parametrize(
    "query", [pytest.param("within=soon", id="word"), pytest.param("within=-2h", id="negative")]
)
async def test_a_bad_within_is_a_400_naming_it(http: httpx.AsyncClient, query: str) -> None:
    response = await http.post(f"{SEND}?{query}")

    assert response.status_code == 400, response.text
    assert response.json()["issue"][0]["expression"] == ["within"]


async def test_a_patient_without_telecom_gets_a_not_done_reminder(
    http: httpx.AsyncClient, outbox: Path
) -> None:
    await store_world(http, make_patient("rem-dee"))
    await book(http, "unreachable", visit("rem-dee", 2))

    answer = await http.post(SEND)

    assert counts(answer.json()) == tally(created=1, failed=1)
    [reminder] = await reminders_of(http, "unreachable")
    assert reminder["status"] == "not-done"
    assert reminder["statusReason"]["text"]
    assert sent_files(outbox) == []


async def test_without_a_sender_the_operation_says_so(client: httpx.AsyncClient) -> None:
    response = await client.post(SEND)

    assert response.status_code == 409, response.text
    assert "--reminder-sender" in response.json()["issue"][0]["diagnostics"]
