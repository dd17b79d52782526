"""A code is claimed once even when several server processes on one store redeem it at once."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from server.auth.grants import Grants, digest
from server.storage.factory import open_auth_records, store_from_url

PROCESSES = 4


def _claim(store_url: str, code: str, barrier: multiprocessing.synchronize.Barrier) -> None:
    async def claim() -> bool:
        store = store_from_url(store_url)
        await store.open()
        try:
            records = await open_auth_records(store)
            barrier.wait(timeout=30)  # every process ready, store open: now all at once
            return await records.use_grant("code", digest(code), int(time.time())) is not None
        finally:
            await store.close()

    os._exit(0 if asyncio.run(claim()) else 3)


async def _issue(store_url: str) -> str:
    store = store_from_url(store_url)
    await store.open()
    try:
        grants = Grants(await open_auth_records(store))
        return await grants.issue("code", {"client_id": "app"}, 60)
    finally:
        await store.close()


def _urls(tmp_path: Path) -> list[str]:
    urls = [f"sqlite:///{tmp_path / 'store.sqlite3'}"]
    if os.environ.get("FHIRPORT_TEST_MONGODB_URI"):
        from tests.mongodb_databases import fresh_database_url

        urls.append(fresh_database_url())
    return urls


@pytest.mark.parametrize("attempt", range(3))
def test_one_of_several_processes_redeems_a_code(tmp_path: Path, attempt: int) -> None:
    for store_url in _urls(tmp_path):
        code = asyncio.run(_issue(store_url))
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(PROCESSES)
        workers = [
            context.Process(target=_claim, args=(store_url, code, barrier))
            for _ in range(PROCESSES)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        codes = sorted(worker.exitcode for worker in workers)
        assert codes == [0] + [3] * (PROCESSES - 1), (store_url, codes)
