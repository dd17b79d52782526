"""Transaction entries run the hooks a single write runs: the booking rule's exclusive holds,
the claim scrub, and merge-following (a reference to a merged-away Patient is stored as
its survivor's). A transaction one of whose entries a single write would refuse is
refused whole: nothing of it is stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import httpx
import pytest

from server.settings import Settings
from tests.merge.race import merge_parameters
from tests.released_together import released_together
from tests.scheduling.booking import make_appointment, put_participant
from tests.scrub.claims import clean_claim, store_world
from tests.transactions.conftest import (
    client_with,
    coverage,
    entry,
    ids_of,
    post_bundle,
    transaction,
    urn,
)

pytestmark = pytest.mark.anyio

DR = "Practitioner/dr-tx"
RACERS = 8
ROUNDS = 3


def booking_transaction(start: str, end: str, patient_name: str) -> dict[str, Any]:
    """A new Patient and its Appointment with DR, linked by ``urn:uuid``."""
    patient_url = urn()
    return transaction(
        entry(
            "POST",
            "Patient",
            {"resourceType": "Patient", "name": [{"family": patient_name}]},
            full_url=patient_url,
        ),
        entry("POST", "Appointment", make_appointment(start, end, DR, patient_url)),
    )


async def test_a_transaction_that_double_books_is_refused_whole(
    client: httpx.AsyncClient,
) -> None:
    await put_participant(client, DR)
    await put_participant(client, "Patient/first")
    first = await client.post(
        "/fhir/Appointment",
        json=make_appointment("2025-04-01T09:00:00Z", "2025-04-01T09:15:00Z", DR, "Patient/first"),
    )
    assert first.status_code == 201, first.text

    answer = await post_bundle(
        client, booking_transaction("2025-04-01T09:10:00Z", "2025-04-01T09:20:00Z", "Second")
    )

    assert answer.status_code == 409, answer.text
    assert answer.json()["issue"][0]["expression"][0].startswith("Bundle.entry[1]")
    assert await ids_of(client, "Patient", "family=Second") == []
    assert await ids_of(client, "Appointment") == [first.json()["id"]]


async def test_two_entries_of_one_transaction_booking_one_time_are_refused(
    client: httpx.AsyncClient,
) -> None:
    await put_participant(client, DR)
    for name in ("a", "b"):
        await put_participant(client, f"Patient/{name}")
    slot = ("2025-04-02T10:00:00Z", "2025-04-02T10:15:00Z")

    answer = await post_bundle(
        client,
        transaction(
            entry("POST", "Appointment", make_appointment(*slot, DR, "Patient/a")),
            entry("POST", "Appointment", make_appointment(*slot, DR, "Patient/b")),
        ),
    )

    assert answer.status_code == 409, answer.text
    assert await ids_of(client, "Appointment") == []


async def test_transactions_racing_for_one_quarter_hour_book_it_once(
    client: httpx.AsyncClient,
) -> None:
    await put_participant(client, DR)
    for round_number in range(ROUNDS):
        day = f"2025-05-0{round_number + 1}"
        calls = [
            partial(
                post_bundle,
                client,
                booking_transaction(f"{day}T09:00:00Z", f"{day}T09:15:00Z", f"racer{n}"),
            )
            for n in range(RACERS)
        ]

        answers = await released_together(calls)

        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200] + [409] * (RACERS - 1), [a.text for a in answers]
        booked = await ids_of(client, "Appointment", f"actor={DR}&date={day}")
        assert len(booked) == 1
        patients = await ids_of(client, "Patient", "family:contains=racer")
        assert len(patients) == round_number + 1, "the refused transactions stored nothing"


async def test_a_transaction_naming_a_merged_patient_stores_the_survivor(
    client: httpx.AsyncClient,
) -> None:
    for name in ("retired", "survivor"):
        await client.put(f"/fhir/Patient/{name}", json={"resourceType": "Patient", "id": name})
    merged = await client.post("/fhir/Patient/$merge", json=merge_parameters("retired", "survivor"))
    assert merged.status_code == 200, merged.text

    answer = await post_bundle(
        client,
        transaction(
            entry("POST", "Coverage", coverage("Patient/retired")),
            entry("PUT", "Coverage/kept", {**coverage("Patient/retired"), "id": "kept"}),
        ),
    )

    assert answer.status_code == 200, answer.text
    for item in answer.json()["entry"]:
        stored = (await client.get(item["response"]["location"].split("/_history")[0])).json()
        assert stored["beneficiary"] == {"reference": "Patient/survivor"}, stored


@pytest.fixture
async def scrub_error(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with client_with(settings, scrub_on_create="error") as http:
        await store_world(http)
        yield http


async def test_a_claim_a_payer_would_deny_fails_its_transaction_under_scrub_error(
    scrub_error: httpx.AsyncClient,
) -> None:
    faulty = clean_claim()
    faulty["total"]["value"] = 100

    answer = await post_bundle(
        scrub_error,
        transaction(
            entry("POST", "Patient", {"resourceType": "Patient", "name": [{"family": "Claimant"}]}),
            entry("POST", "Claim", faulty),
        ),
    )

    assert answer.status_code == 422, answer.text
    assert answer.json()["issue"][0]["expression"] == ["Bundle.entry[1].resource.total"]
    assert await ids_of(scrub_error, "Patient", "family=Claimant") == []
    assert await ids_of(scrub_error, "Claim") == []


async def test_a_claim_in_a_transaction_is_stored_with_its_scrub(
    settings: Settings,
) -> None:
    async with client_with(settings, scrub_on_create="warn") as http:
        await store_world(http)
        faulty = clean_claim()
        faulty["total"]["value"] = 100

        answer = await post_bundle(http, transaction(entry("POST", "Claim", faulty)))

        assert answer.status_code == 200, answer.text
        stored = answer.json()["entry"][0]["resource"]
        status = "https://fhirport.dev/fhir/StructureDefinition/scrub-status"
        assert {"url": status, "valueCode": "denied"} in stored["extension"]
