"""``/metrics`` reads the store's queues at scrape time: export jobs by state here, the
outbox's depth in tests/outbound/test_outbox_metrics.py."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from server.settings import Settings
from tests.bulk.conftest import ASYNC, export, finished, patient, put
from tests.conftest import running_app
from tests.operating.test_metrics import sample

pytestmark = pytest.mark.anyio

OUTBOX = "fhirport_hl7v2_outbox_entries"
JOBS = "fhirport_export_jobs"


async def test_without_an_outbound_feed_there_is_no_outbox_gauge(
    client: httpx.AsyncClient,
) -> None:
    text = (await client.get("/metrics")).text

    assert OUTBOX not in text


async def test_export_jobs_are_counted_by_state(settings: Settings, tmp_path: Path) -> None:
    exporting = settings.model_copy(update={"export_dir": tmp_path / "exports"})
    async with running_app(exporting) as http:
        await put(http, patient("p1"))
        for _ in range(2):
            await export(http)
        kicked = await http.get("/fhir/$export", headers=ASYNC)
        await finished(http, kicked.headers["Content-Location"])
        removed = await http.delete(kicked.headers["Content-Location"])
        assert removed.status_code == 202

        text = (await http.get("/metrics")).text

    assert sample(text, JOBS, state="completed") == 2  # the deleted one is gone
    assert sample(text, JOBS, state="in-progress") == 0
    assert sample(text, JOBS, state="accepted") == 0
    assert sample(text, JOBS, state="failed") == 0
