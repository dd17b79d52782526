"""``--reminders-every``: the server sends reminders by itself, and stops doing so cleanly."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import main
from server.settings import Settings
from tests.conftest import running_app
from tests.reminders.world import book, email, make_patient, reminders_of, store_world, visit

pytestmark = pytest.mark.anyio


def schedule_tasks() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t.get_name() == "fhirport-reminders"]


async def test_the_schedule_sends_without_a_request(settings: Settings, tmp_path: Path) -> None:
    outbox = tmp_path / "out"
    every = {"reminder_sender": f"file:{outbox}", "reminders_every": 0.2}
    async with running_app(settings.model_copy(update=every)) as http:
        await store_world(http, make_patient("rem-ana", email("ana@example.org")))
        await book(http, "soon", visit("rem-ana", 2))
        for _ in range(100):
            if list(outbox.glob("*.json")):
                break
            await asyncio.sleep(0.05)
        [reminder] = await reminders_of(http, "soon")
        running = schedule_tasks()

    assert reminder["status"] == "completed"
    assert len(running) == 1
    assert running[0].done()
    assert schedule_tasks() == []


@pytest.mark.parametrize(
    ("text", "seconds"),
    [pytest.param("15m", 900, id="minutes"), pytest.param("1h", 3600, id="hours")],
)
def test_reminders_every_reads_a_duration(text: str, seconds: float) -> None:
    settings = Settings(reminders_every=text, reminder_sender="file:/tmp/x")

    assert settings.reminders_every == seconds


@pytest.mark.parametrize(
    ("args", "says"),
    [
        pytest.param(["--reminders-every", "15m"], "--reminder-sender", id="no-sender"),
        pytest.param(["--reminder-sender", "pigeon:coop"], "names no reminder sender", id="bad"),
    ],
)
def test_serve_refuses_reminder_options_it_cannot_run(args: list[str], says: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--store", "memory://", *args])

    assert result.exit_code == 2, result.output
    assert says in result.output
