"""A delete racing creates that refer to the deleted resource leaves no dangling reference.

Under strict integrity a create checks its references and a delete its referrers; the
two checks and the two writes interleave when they race. Whatever the order, the store
must end either without the resource and without anything current referring to it, or
with both. The racers are started first and released together, round after round: a
REST delete (every store) and a transaction's delete (the stores with transactions)
against REST creates and a transaction's create.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import httpx
import pytest

from tests.conftest import FHIR_JSON, make_patient
from tests.released_together import released_together
from tests.transactions.conftest import coverage, entry, post_bundle, transaction

pytestmark = pytest.mark.anyio

ROUNDS = 8
CREATES = 6


async def _referrers(client: httpx.AsyncClient, patient: str) -> list[str]:
    found = await client.get(f"/fhir/Coverage?beneficiary=Patient/{patient}&_count=100")
    assert found.status_code == 200, found.text
    return [e["resource"]["id"] for e in found.json().get("entry", [])]


async def _race(client: httpx.AsyncClient, patient: str, delete: Any, creates: list[Any]) -> None:
    made = await client.put(f"/fhir/Patient/{patient}", json=make_patient(id=patient))
    assert made.status_code == 201, made.text

    deleted, *created = await released_together([delete, *creates])

    assert deleted.status_code in (200, 204, 409), deleted.text
    assert all(c.status_code in (200, 201, 422) for c in created), [c.text for c in created]
    gone = (await client.get(f"/fhir/Patient/{patient}")).status_code == 410
    left = await _referrers(client, patient)
    assert not (gone and left), f"Patient/{patient} deleted, still referred to by {left}"
    assert gone == (deleted.status_code in (200, 204)), deleted.text


def _creates(client: httpx.AsyncClient, patient: str, kind: str) -> list[Any]:
    body = coverage(f"Patient/{patient}")
    rest = [partial(client.post, "/fhir/Coverage", json=body, headers=FHIR_JSON)] * CREATES
    bundled = {"resourceType": "Bundle", "type": kind, "entry": [entry("POST", "Coverage", body)]}
    return [*rest, partial(post_bundle, client, bundled)]


async def test_a_delete_racing_referring_creates_leaves_no_dangling_reference(
    client: httpx.AsyncClient, store_url: str
) -> None:
    kind = "batch" if store_url == "memory://" else "transaction"
    for round_number in range(ROUNDS):
        patient = f"race-{round_number}"
        delete = partial(client.delete, f"/fhir/Patient/{patient}")
        await _race(client, patient, delete, _creates(client, patient, kind))


async def test_a_transaction_delete_racing_referring_creates_leaves_no_dangling_reference(
    client: httpx.AsyncClient, store_url: str
) -> None:
    if store_url == "memory://":
        pytest.skip("memory:// refuses transactions")
    for round_number in range(ROUNDS):
        patient = f"tx-race-{round_number}"
        bundle = transaction(entry("DELETE", f"Patient/{patient}"))
        delete = partial(post_bundle, client, bundle)
        await _race(client, patient, delete, _creates(client, patient, "transaction"))
