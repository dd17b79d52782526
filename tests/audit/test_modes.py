"""``--audit writes`` and ``off``, and the retention purge."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from server.audit.events import REST, Access, interaction_code
from server.fhir.clock import now_us
from server.settings import Settings
from tests.audit.conftest import opened, subtype
from tests.conftest import make_patient

pytestmark = pytest.mark.anyio
DAY_US = 86_400 * 1_000_000


async def session(http: httpx.AsyncClient) -> None:
    """A create, a read, a refused read, a refused create, a search."""
    created = (await http.post("/fhir/Patient", json=make_patient())).json()["id"]
    await http.get(f"/fhir/Patient/{created}")
    await http.get("/fhir/Patient/nobody")
    await http.post("/fhir/Patient", json=make_patient(gender="sometimes"))
    await http.get("/fhir/Patient")


async def test_writes_mode_records_changes_and_their_refusals_not_reads(
    settings: Settings,
) -> None:
    async with opened(settings, audit="writes") as audited:
        await session(audited.http)

        events = await audited.events()

    assert [(subtype(e), e["outcome"]) for e in events] == [("create", "0"), ("create", "4")]


async def test_off_records_nothing(settings: Settings) -> None:
    async with opened(settings, audit="off") as audited:
        await session(audited.http)

        events = await audited.events()

    assert events == []


def old_access(days: int) -> Access:
    return Access(
        recorded=now_us() - days * DAY_US,
        type=REST,
        subtypes=(interaction_code("read"),),
        action="R",
        outcome="0",
        entities=(f"Patient/p{days}",),
    )


async def test_purge_removes_events_past_retention_only(settings: Settings) -> None:
    async with opened(settings, audit_retention_days=30) as audited:
        trail = audited.trail
        await trail.store.write(
            [trail.builder.write(old_access(d), f"old{d}") for d in (40, 31, 29)]
        )

        # (The purge the server starts with may have run meanwhile and taken some.)
        await trail.purge()

        events = await audited.events()
        assert [e["id"] for e in events] == ["old29"]
        gone = await audited.http.get("/fhir/AuditEvent/old40/_history")
        assert gone.status_code == 404


async def test_the_server_purges_in_the_background(settings: Settings) -> None:
    if not settings.store.startswith("sqlite"):
        pytest.skip("needs a store that outlives the app")
    async with opened(settings) as first:
        trail = first.trail
        await trail.store.write([trail.builder.write(old_access(d), f"old{d}") for d in (10, 3)])

    async with opened(settings, audit_retention_days=5) as second:
        for _ in range(100):
            if [e["id"] for e in await second.events(flush=False)] == ["old3"]:
                break
            await asyncio.sleep(0.05)

        assert [e["id"] for e in await second.events(flush=False)] == ["old3"]
