"""AuditEvents are found by each parameter the audit trail is searched by, on every store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from server.audit.events import DICOM, EVENT_TYPE, RESTFUL, URI
from server.settings import Settings
from tests.audit.conftest import Audited, opened
from tests.auth.tokens import ISSUER, auth_settings, issue
from tests.conftest import make_patient

pytestmark = pytest.mark.anyio


@dataclass
class Trail:
    """A small audit trail: who did what, and the events it left (oldest first)."""

    audited: Audited
    ids: dict[str, str]  # the event of each step, by name
    patients: tuple[str, str]
    split: str  # an instant (whole seconds) after the first two steps, before the rest

    async def found(self, **params: str) -> set[str]:
        """The names of the steps whose events a search with ``params`` finds."""
        names = {event_id: name for name, event_id in self.ids.items()}
        return {names[e["id"]] for e in await self.audited.events(flush=True, **params)}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _next_second() -> str:
    """Wait for the next whole second; return it as a FHIR instant."""
    now = time.time()
    await asyncio.sleep(int(now) + 1 - now + 0.01)
    return datetime.fromtimestamp(int(now) + 1, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
async def trail(settings: Settings, tmp_path: Path) -> AsyncIterator[Trail]:
    async with opened(settings, auth="smart", **auth_settings(tmp_path)) as audited:
        clerk = bearer(issue("user/Patient.cruds", client_id="ehr", fhir_user="Practitioner/dr"))
        biller = bearer(issue("system/Patient.rs", client_id="billing"))
        first = await audited.http.post("/fhir/Patient", json=make_patient(), headers=clerk)
        second = await audited.http.post("/fhir/Patient", json=make_patient(), headers=clerk)
        split = await _next_second()
        one, two = first.json()["id"], second.json()["id"]
        read = await audited.http.get(f"/fhir/Patient/{two}", headers=biller)
        refused = await audited.http.get(f"/fhir/Patient/{one}")
        audited.trail.security_event(sender="LAB|HOSP", message_type="ORU^R01", reason="unlisted")
        assert [first.status_code, second.status_code, read.status_code] == [201, 201, 200]
        assert refused.status_code == 401
        events = await audited.events()
        names = ["create-one", "create-two", "read-two", "refused-one", "alert"]
        assert len(events) == len(names)
        yield Trail(
            audited, {n: e["id"] for n, e in zip(names, events, strict=True)}, (one, two), split
        )


ALL = {"create-one", "create-two", "read-two", "refused-one", "alert"}
CASES: list[Any] = [
    pytest.param({"patient": "Patient/{one}"}, {"create-one", "refused-one"}, id="patient"),
    pytest.param({"patient": "{two}"}, {"create-two", "read-two"}, id="patient-id"),
    pytest.param({"entity": "Patient/{two}"}, {"create-two", "read-two"}, id="entity"),
    pytest.param({"agent": "Practitioner/dr"}, {"create-one", "create-two"}, id="agent"),
    pytest.param({"agent:identifier": f"{ISSUER}|billing"}, {"read-two"}, id="agent-identifier"),
    pytest.param({"type": f"{EVENT_TYPE}|rest"}, ALL - {"alert"}, id="type"),
    pytest.param({"type": f"{DICOM}|110113"}, {"alert"}, id="type-security"),
    pytest.param({"subtype": f"{RESTFUL}|read"}, {"read-two", "refused-one"}, id="subtype"),
    pytest.param({"subtype": "create"}, {"create-one", "create-two"}, id="subtype-code"),
    pytest.param({"outcome": "4"}, {"refused-one", "alert"}, id="outcome"),
    pytest.param({"outcome": "0"}, {"create-one", "create-two", "read-two"}, id="outcome-success"),
    pytest.param({"source:identifier": f"{URI}|{{server}}"}, ALL, id="source"),
    pytest.param({"date": "lt{split}"}, {"create-one", "create-two"}, id="date-before"),
    pytest.param({"date": "ge{split}"}, ALL - {"create-one", "create-two"}, id="date-after"),
    pytest.param({"_lastUpdated": "lt{split}"}, {"create-one", "create-two"}, id="lastUpdated"),
    pytest.param({"_id": "{read-two}"}, {"read-two"}, id="_id"),
    pytest.param(
        {"patient": "Patient/{two}", "date": "ge{split}"}, {"read-two"}, id="patient-and-date"
    ),
]


@pytest.mark.parametrize(("params", "expected"), CASES)
async def test_audit_events_are_found_by_each_parameter(
    trail: Trail, params: dict[str, str], expected: set[str]
) -> None:
    values = {
        "one": trail.patients[0],
        "two": trail.patients[1],
        "split": trail.split,
        "server": trail.audited.trail.builder.server,
        **trail.ids,
    }
    query = {name: value.format(**values) for name, value in params.items()}

    assert await trail.found(**query) == expected


async def test_audit_events_sort_by_date_both_ways(trail: Trail) -> None:
    newest_first = await trail.audited.events(_sort="-date")
    by_update = await trail.audited.events(_sort="_lastUpdated")

    assert [e["id"] for e in newest_first] == list(trail.ids.values())[::-1]
    assert [e["id"] for e in by_update] == list(trail.ids.values())
