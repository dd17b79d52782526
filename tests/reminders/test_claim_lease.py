"""A reminder claimed by a run that died before recording it is sent by a later run, once
its claim's lease ran out, and never while the claim is live."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest

from server.app import create_app
from server.fhir.clock import now_us
from server.reminders import Reminders
from server.reminders.message import reminder_id
from server.reminders.senders import ANY_CONTACT, FileSender, Sender
from server.runtime import Runtime
from server.settings import Settings
from server.storage.port import Method
from server.versions import next_version
from tests.reminders.world import book, email, make_patient, reminders_of, store_world, visit

pytestmark = pytest.mark.anyio

HOUR_US = 3600 * 1_000_000
WITHIN_S = 4 * 3600


class Killed(Exception):
    """The server was killed while its run was delivering."""


class DiesWhileSending:
    """A sender whose process dies while delivering: nothing sent, nothing recorded."""

    systems = ANY_CONTACT

    async def send(self, reminders: Sequence[object]) -> dict[str, str]:
        raise Killed

    async def aclose(self) -> None:
        return None


@dataclass
class Office:
    http: httpx.AsyncClient
    runtime: Runtime
    outbox: Path

    def reminders(self, sender: Sender | None = None, *, later_us: int = 0) -> Reminders:
        """A run's Reminders, its clock ``later_us`` ahead of the real one."""
        return Reminders(
            self.runtime.store,
            self.runtime.service.indexer,
            self.runtime.search,
            sender or FileSender(self.outbox),
            lease_s=60,
            clock=lambda: now_us() + later_us,
        )

    def sent(self) -> int:
        return len(list(self.outbox.glob("*.json")))


@pytest.fixture
async def office(settings: Settings, tmp_path: Path) -> AsyncIterator[Office]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            await store_world(http, make_patient("rem-ana", email("ana@example.org")))
            await book(http, "soon", visit("rem-ana", 2))
            yield Office(http, app.state.runtime, tmp_path / "out")


async def test_a_dead_runs_claim_is_sent_after_its_lease_and_not_before(office: Office) -> None:
    with pytest.raises(Killed):
        await office.reminders(DiesWhileSending()).run(WITHIN_S)
    (claimed,) = await reminders_of(office.http, "soon")
    assert claimed["status"] == "in-progress"

    live = await office.reminders().run(WITHIN_S)

    assert (live.created, live.retried, live.skipped, office.sent()) == (0, 0, 1, 0)

    expired = await office.reminders(later_us=61 * 1_000_000).run(WITHIN_S)

    assert (expired.created, expired.retried, expired.sent, office.sent()) == (0, 1, 1, 1)
    (reminder,) = await reminders_of(office.http, "soon")
    assert reminder["status"] == "completed"
    again = await office.reminders(later_us=200 * 1_000_000).run(WITHIN_S)
    assert (again.retried, again.skipped, office.sent()) == (0, 1, 1)


async def test_a_claim_left_in_progress_without_a_lease_is_sent_again(office: Office) -> None:
    """A claim written before claims had a lease: its age tells whether it is live."""
    body = {
        "resourceType": "Communication",
        "id": reminder_id("soon"),
        "status": "in-progress",
        "basedOn": [{"reference": "Appointment/soon"}],
        "subject": {"reference": "Patient/rem-ana"},
    }
    runtime = office.runtime
    write = next_version(
        "Communication",
        body["id"],
        None,
        body,
        Method.POST,
        runtime.service.indexer,
        updated=now_us() - HOUR_US,
    )
    await runtime.store.write([write])

    tally = await Reminders(
        runtime.store, runtime.service.indexer, runtime.search, FileSender(office.outbox)
    ).run(WITHIN_S)

    assert (tally.sent, office.sent()) == (1, 1)
    (reminder,) = await reminders_of(office.http, "soon")
    assert reminder["status"] == "completed"
    assert orjson.loads((office.outbox / f"{body['id']}.json").read_bytes())["appointment"] == (
        "Appointment/soon"
    )
