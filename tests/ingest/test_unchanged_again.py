"""A mapped resource found unchanged once is found unchanged again without being merged with
the stored one (plan.SameAsStored), but only for the same message content, field report
and stored version: anything else is merged again."""

from __future__ import annotations

import pytest

from server.hl7v2.ingest.model import Change, Outcome
from server.hl7v2.ingest.service import Ingestor
from server.storage.port import Store
from tests.ingest.factories import service_on
from tests.ingest.test_update_semantics import FULL_PID, PATIENT, current, message

pytestmark = pytest.mark.anyio

WITHOUT_PHONE = "PID|1||MRN1^^^NORTH^MR||Doe^Ann||19800214|F|||1 Main St^^Springfield^IL^62701"


async def _change(ingestor: Ingestor, data: bytes) -> Change:
    """What the message did to the Patient."""
    outcome = await ingestor.ingest(data)
    assert outcome.outcome is Outcome.APPLIED, (outcome.reason, outcome.warnings)
    return next(t.change for t in outcome.touched if t.reference == f"Patient/{PATIENT}")


async def test_a_null_field_after_the_same_content_without_it_still_deletes(
    store: Store,
) -> None:
    ingestor = Ingestor(service_on(store))
    await _change(ingestor, message("M1", FULL_PID, event="A04"))
    # PID-13 not sent: the phones are kept, twice (the second time from what was remembered).
    assert (
        await _change(ingestor, message("M2", WITHOUT_PHONE, when="20240106")) is Change.UNCHANGED
    )
    assert (
        await _change(ingestor, message("M3", WITHOUT_PHONE, when="20240107")) is Change.UNCHANGED
    )

    # The same mapped content, but PID-13 sent empty: the home phones go.
    changed = await _change(ingestor, message("M4", f'{WITHOUT_PHONE}||""', when="20240108"))

    assert changed is Change.UPDATED
    telecom = (await current(store, "Patient", PATIENT))["telecom"]
    assert [t["value"] for t in telecom] == ["555-0199"]


async def test_the_same_content_after_another_version_is_merged_again(store: Store) -> None:
    ingestor = Ingestor(service_on(store))
    renamed = FULL_PID.replace("Doe^Ann", "Roe^Ann")
    await _change(ingestor, message("M1", FULL_PID, event="A04"))
    assert await _change(ingestor, message("M2", FULL_PID, when="20240106")) is Change.UNCHANGED
    assert await _change(ingestor, message("M3", renamed, when="20240107")) is Change.UPDATED

    # What M2 sent again, newer than M3: the stored version is not the one M2 was
    # found equal to.
    changed = await _change(ingestor, message("M4", FULL_PID, when="20240108"))

    assert changed is Change.UPDATED
    assert (await current(store, "Patient", PATIENT))["name"][0]["family"] == "Doe"


async def test_the_same_content_older_than_the_stored_version_is_stale(store: Store) -> None:
    ingestor = Ingestor(service_on(store))
    await _change(ingestor, message("M1", FULL_PID, event="A04", when="20240110"))
    assert await _change(ingestor, message("M2", FULL_PID, when="20240111")) is Change.UNCHANGED

    older = await ingestor.ingest(message("M3", FULL_PID, when="20240101"))

    assert older.outcome is Outcome.STALE
