"""Two runs at once, both past their reads before either writes, create one reminder each."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from server.app import create_app
from server.reminders import Reminders, Tally
from server.reminders.senders import FileSender
from server.runtime import Runtime
from server.settings import Settings
from server.storage.port import Store, Write
from tests.reminders.world import book, email, make_patient, reminders_of, store_world, visit

pytestmark = pytest.mark.anyio


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


class MeetBeforeWriting:
    """A store whose first ``parties`` writes wait for each other (the rest go straight on)."""

    def __init__(self, store: Store, parties: int) -> None:
        self.store = store
        self.barrier = asyncio.Barrier(parties)
        self.waiting = parties

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def write(self, writes: Sequence[Write], *args: Any, **kwargs: Any) -> None:
        if self.waiting > 0:
            self.waiting -= 1
            await self.barrier.wait()
        await self.store.write(writes, *args, **kwargs)


async def test_two_runs_at_once_create_one_reminder(settings: Settings, tmp_path: Path) -> None:
    outbox = tmp_path / "out"
    app = create_app(settings)
    async with app.router.lifespan_context(app), client_of(app) as http:
        await store_world(http, make_patient("rem-ana", email("ana@example.org")))
        await book(http, "soon", visit("rem-ana", 2))
        runtime: Runtime = app.state.runtime
        store = MeetBeforeWriting(runtime.store, parties=2)

        def run() -> Reminders:
            indexer = runtime.service.indexer
            return Reminders(store, indexer, runtime.search, FileSender(outbox))  # type: ignore[arg-type]

        tallies: list[Tally] = await asyncio.gather(run().run(4 * 3600), run().run(4 * 3600))
        stored = await reminders_of(http, "soon")

    assert sorted((t.created, t.skipped) for t in tallies) == [(0, 1), (1, 0)]
    assert len(stored) == 1
    assert len(list(outbox.glob("*.json"))) == 1
