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
from server.storage.port import Store, VersionConflict, Write
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


class KeepsPartOfABatch:
    """A store without transactions that failed midway: of the first batch of several
    writes it kept the first and reported a conflict (as MongoDB without a replica set may)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.failed_once = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def write(self, writes: Sequence[Write], *args: Any, **kwargs: Any) -> None:
        if len(writes) > 1 and not self.failed_once:
            self.failed_once = True
            await self.store.write(writes[:1])
            version = writes[1].version
            raise VersionConflict(version.resource_type, version.id, 1)
        await self.store.write(writes, *args, **kwargs)


async def test_a_batch_kept_in_part_is_still_sent_whole(settings: Settings, tmp_path: Path) -> None:
    outbox = tmp_path / "out"
    app = create_app(settings)
    async with app.router.lifespan_context(app), client_of(app) as http:
        await store_world(http, make_patient("rem-ana", email("ana@example.org")))
        await store_world(http, make_patient("rem-bo", email("bo@example.org")))
        await book(http, "first", visit("rem-ana", 2))
        await book(http, "second", visit("rem-bo", 3))
        runtime: Runtime = app.state.runtime
        store = KeepsPartOfABatch(runtime.store)
        reminders = Reminders(
            store,  # type: ignore[arg-type]
            runtime.service.indexer,
            runtime.search,
            FileSender(outbox),
        )

        tally = await reminders.run(4 * 3600)
        stored = [*(await reminders_of(http, "first")), *(await reminders_of(http, "second"))]

    assert store.failed_once
    assert (tally.created, tally.sent, tally.skipped) == (2, 2, 0)
    assert [r["status"] for r in stored] == ["completed", "completed"]
    assert len(list(outbox.glob("*.json"))) == 2
