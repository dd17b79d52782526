"""Batch entries run the hooks a single write runs, on every store (``memory://`` too, which
refuses transactions but applies batches): a double-booking entry fails in its place,
and an entry naming a merged-away Patient is stored with the survivor's reference."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import STORE_KINDS, store_url_for
from tests.merge.race import merge_parameters
from tests.scheduling.booking import make_appointment, put_participant
from tests.transactions.conftest import bundle, coverage, entry, ids_of, post_bundle

pytestmark = pytest.mark.anyio

DR = "Practitioner/dr-batch"
SLOT = ("2025-06-02T09:00:00Z", "2025-06-02T09:15:00Z")


@pytest.fixture(params=STORE_KINDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_url_for(str(request.param), tmp_path)


async def test_a_double_booking_batch_entry_fails_in_its_place(client: httpx.AsyncClient) -> None:
    await put_participant(client, DR)
    for name in ("a", "b"):
        await put_participant(client, f"Patient/{name}")

    answer = await post_bundle(
        client,
        bundle(
            "batch",
            entry("POST", "Appointment", make_appointment(*SLOT, DR, "Patient/a")),
            entry("POST", "Appointment", make_appointment(*SLOT, DR, "Patient/b")),
        ),
    )

    assert answer.status_code == 200, answer.text
    statuses = [e["response"]["status"] for e in answer.json()["entry"]]
    assert [status.split()[0] for status in statuses] == ["201", "409"], statuses
    assert len(await ids_of(client, "Appointment")) == 1


async def test_a_batch_entry_naming_a_merged_patient_stores_the_survivor(
    client: httpx.AsyncClient,
) -> None:
    for name in ("gone", "kept"):
        await client.put(f"/fhir/Patient/{name}", json={"resourceType": "Patient", "id": name})
    merged = await client.post("/fhir/Patient/$merge", json=merge_parameters("gone", "kept"))
    assert merged.status_code == 200, merged.text

    answer = await post_bundle(
        client, bundle("batch", entry("POST", "Coverage", coverage("Patient/gone")))
    )

    assert answer.status_code == 200, answer.text
    stored = answer.json()["entry"][0]["resource"]
    assert stored["beneficiary"] == {"reference": "Patient/kept"}
