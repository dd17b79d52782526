"""An SIU booking's Appointment is read from the store once, by the ingest plan: the
booking rule it runs sees the version the plan read (the one the write expects)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from server.hl7v2.ingest.model import Outcome
from server.runtime import open_runtime
from server.settings import Settings
from server.storage.port import StoredVersion
from tests.scheduling.test_ingested_bookings import siu

pytestmark = pytest.mark.anyio

Key = tuple[str, str]


async def test_the_rule_reads_the_appointment_the_plan_read(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with open_runtime(settings) as runtime:
        store = runtime.store
        read_many = store.read_many
        # The plan reads through the ingestor's batched reader (bound to the store's
        # read_many before this); what the booking rule reads comes here.
        appointments_read: list[Key] = []

        async def counted(keys: Sequence[Key]) -> dict[Key, StoredVersion | None]:
            appointments_read.extend(k for k in keys if k[0] == "Appointment")
            return await read_many(keys)

        monkeypatch.setattr(store, "read_many", counted)

        booked = await runtime.ingestor.ingest(siu("S12", "M1"))
        moved = await runtime.ingestor.ingest(siu("S14", "M2", hour=10))

        assert (booked.outcome, moved.outcome) == (Outcome.APPLIED, Outcome.APPLIED)
        assert appointments_read == []
        assert [t.version for t in moved.touched if t.reference.startswith("Appointment/")] == [2]
