"""Each sender delivers for real (a local webhook, a local SMTP relay) and records the outcome."""

from __future__ import annotations

import httpx
import pytest

from server.settings import Settings
from tests.conftest import running_app
from tests.reminders.servers import smtp_relay, webhook
from tests.reminders.world import book, counts, email, make_patient, phone, reminders_of, visit
from tests.reminders.world import store_world as store_people
from tests.reminders.world import tally as counted

pytestmark = pytest.mark.anyio

SEND = "/fhir/Appointment/$send-reminders"


def with_sender(settings: Settings, sender: str) -> Settings:
    return settings.model_copy(update={"reminder_sender": sender})


async def book_ana(http: httpx.AsyncClient) -> None:
    patient = make_patient("rem-ana", phone("+1 555 0100", rank=1), email("ana@example.org"))
    await store_people(http, patient)
    await book(http, "soon", visit("rem-ana", 2, patientInstruction="Fast for 8 hours"))


async def test_webhook_receives_the_reminder(settings: Settings) -> None:
    with webhook() as (url, received):
        async with running_app(with_sender(settings, f"webhook:{url}")) as http:
            await book_ana(http)
            answer = await http.post(SEND)
            [reminder] = await reminders_of(http, "soon")

    assert counts(answer.json()) == counted(created=1, sent=1)
    assert reminder["status"] == "completed"
    [body] = received.bodies
    assert body["to"] == {"system": "phone", "value": "+1 555 0100"}
    assert "Fast for 8 hours" in str(body["text"])


async def test_a_failing_webhook_stops_the_reminder_with_its_reason(settings: Settings) -> None:
    with webhook(status=503) as (url, _):
        async with running_app(with_sender(settings, f"webhook:{url}")) as http:
            await book_ana(http)
            answer = await http.post(SEND)
            again = await http.post(SEND)
            [reminder] = await reminders_of(http, "soon")

    assert counts(answer.json()) == counted(created=1, failed=1)
    assert counts(again.json())["skipped"] == 1
    assert reminder["status"] == "stopped"
    assert reminder["statusReason"]["text"] == "The webhook answered 503"


async def test_smtp_mails_the_patients_email_address(settings: Settings) -> None:
    with smtp_relay() as (port, received):
        sender = f"smtp://127.0.0.1:{port}?from=desk@clinic.example"
        async with running_app(with_sender(settings, sender)) as http:
            await book_ana(http)
            answer = await http.post(SEND)
            [reminder] = await reminders_of(http, "soon")

    assert counts(answer.json())["sent"] == 1
    assert reminder["status"] == "completed"
    assert received.recipients == ["ana@example.org"]
    [mail] = received.mails
    assert mail["From"] == "desk@clinic.example"
    assert mail["Subject"].startswith("Appointment reminder")
    assert "Fast for 8 hours" in mail.get_payload()


async def test_smtp_cannot_reach_a_patient_with_a_phone_only(settings: Settings) -> None:
    with smtp_relay() as (port, received):
        async with running_app(with_sender(settings, f"smtp://127.0.0.1:{port}")) as http:
            await store_people(http, make_patient("rem-bo", phone("+1 555 0101")))
            await book(http, "phone-only", visit("rem-bo", 2))
            answer = await http.post(SEND)
            [reminder] = await reminders_of(http, "phone-only")

    assert counts(answer.json())["failed"] == 1
    assert reminder["status"] == "not-done"
    assert "email" in reminder["statusReason"]["text"]
    assert received.mails == []


async def test_an_unreachable_relay_stops_the_reminder(settings: Settings) -> None:
    with smtp_relay() as (port, _):
        pass  # closed: nothing listens on the port any more
    async with running_app(with_sender(settings, f"smtp://127.0.0.1:{port}")) as http:
        await book_ana(http)
        answer = await http.post(SEND)
        [reminder] = await reminders_of(http, "soon")

    assert counts(answer.json())["failed"] == 1
    assert reminder["status"] == "stopped"
    assert "SMTP" in reminder["statusReason"]["text"]
