"""Claims scrubbed at the same time share their reads: each still gets its own edits."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import orjson
import pytest

from server.scrub import Scrubber
from server.search.extract import extract_index
from server.storage.port import Method, Store, StoredVersion, Write
from tests.scrub.claims import COVERAGE, PATIENT, PAYER, PROVIDER, clean_claim

pytestmark = pytest.mark.anyio


def patient_claim(claim_id: str, patient: str, **changes: Any) -> dict[str, Any]:
    body = clean_claim()
    body.update(changes, id=claim_id)
    body["patient"] = {"reference": f"Patient/{patient}"}
    body["insurance"][0]["coverage"] = {"reference": f"Coverage/cov-{patient}"}
    return body


def stored(body: dict[str, Any]) -> Write:
    version = StoredVersion(body["resourceType"], body["id"], 1, 0, Method.PUT, orjson.dumps(body))
    return Write(version, 0, extract_index(body, base_urls=()))


def world() -> list[dict[str, Any]]:
    resources = [PAYER, PROVIDER]
    for patient in ("a", "b", "c"):
        resources.append({**PATIENT, "id": patient})
        coverage = copy.deepcopy(COVERAGE)
        coverage.update(id=f"cov-{patient}", beneficiary={"reference": f"Patient/{patient}"})
        resources.append(coverage)
    resources.remove(next(r for r in resources if r.get("id") == "c"))
    return resources


CLAIMS = [
    patient_claim("a1", "a"),
    patient_claim("a2", "a"),  # a1's duplicate, and a1 its
    patient_claim("b1", "b", status="cancelled"),
    patient_claim("b2", "b"),  # the duplicate of no active claim
    patient_claim("c1", "c"),  # a patient not on file
    patient_claim("n1", "gone", total={"value": 1, "currency": "USD"}),
]


def edits_by_claim(found: list[list[Any]]) -> dict[str, list[tuple[str, str]]]:
    return {
        claim["id"]: [(e.edit, e.diagnostics) for e in edits]
        for claim, edits in zip(CLAIMS, found, strict=True)
    }


async def test_concurrent_scrubs_find_what_one_at_a_time_finds(store: Store) -> None:
    await store.write([stored(r) for r in world() + CLAIMS])
    alone = [await Scrubber(store).scrub(c, c["id"]) for c in CLAIMS]
    scrubber = Scrubber(store)
    together = await asyncio.gather(*(scrubber.scrub(c, c["id"]) for c in CLAIMS))
    assert edits_by_claim(list(together)) == edits_by_claim(alone)
    found = edits_by_claim(alone)
    assert [e for e, _ in found["a1"]] == ["duplicate-probable"]
    assert "Claim/a2" in found["a1"][0][1]
    assert found["b2"] == []
    assert [e for e, _ in found["c1"]] == ["patient-missing"]
    assert {e for e, _ in found["n1"]} == {"patient-missing", "coverage-missing", "total-mismatch"}
