"""All or nothing: a failure in the last entry stores nothing; racing conditional creates
in transactions make one resource, in one process and across services (the store's guard)."""

from __future__ import annotations

from functools import partial
from typing import Any

import httpx
import pytest

from server.errors import FhirError
from server.interactions import ResourceService
from server.search.engine import SearchEngine
from server.search.extract import extract_index
from server.storage.port import Store, Write
from server.transactions import apply_bundle
from tests.conftest import make_patient
from tests.released_together import released_together
from tests.transactions.conftest import coverage, entry, ids_of, post_bundle, transaction, urn

pytestmark = pytest.mark.anyio

RACE = "urn:oid:2.16.840.1.113883.3.9999.7"
RACERS = 16
ROUNDS = 5


def _service(store: Store) -> ResourceService:
    indexer = partial(extract_index, base_urls=())
    return ResourceService(store, indexer, SearchEngine(store, ()))


def _registration(value: str) -> dict[str, Any]:
    """A conditional create of a patient and a coverage pointing at it."""
    pat = urn()
    return transaction(
        entry(
            "POST",
            "Patient",
            make_patient(identifier=[{"system": RACE, "value": value}]),
            full_url=pat,
            if_none_exist=f"identifier={RACE}|{value}",
        ),
        entry("POST", "Coverage", coverage(pat)),
    )


async def test_a_store_failure_on_the_last_write_stores_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = _service(store)
    adapter = type(store)
    real = adapter._apply_one  # type: ignore[attr-defined]

    def failing(self: Any, *args: Any) -> Any:
        write = next(a for a in args if isinstance(a, Write))
        if write.version.resource_type == "Coverage":
            raise OSError("disk full")
        return real(self, *args)

    monkeypatch.setattr(adapter, "_apply_one", failing)
    pat = urn()
    document = transaction(
        entry("POST", "Patient", make_patient(), full_url=pat),
        entry("POST", "Patient", make_patient(gender="female")),
        entry("POST", "Coverage", coverage(pat)),
    )
    with pytest.raises(Exception, match="disk full"):
        await apply_bundle(service, document)
    monkeypatch.setattr(adapter, "_apply_one", real)
    assert await store.count("Patient") == 0
    assert await store.count("Coverage") == 0


async def test_a_refused_last_entry_stores_nothing(store: Store) -> None:
    def refuse_coverages(resource: dict[str, Any], current: dict[str, Any] | None) -> None:
        from server.errors import BusinessRuleViolation

        raise BusinessRuleViolation("no coverages today")

    service = ResourceService(
        store,
        partial(extract_index, base_urls=()),
        SearchEngine(store, ()),
        rules={"Coverage": refuse_coverages},
    )
    pat = urn()
    document = transaction(
        entry("POST", "Patient", make_patient(), full_url=pat),
        entry("POST", "Coverage", coverage(pat)),
    )
    with pytest.raises(FhirError) as refused:
        await apply_bundle(service, document)
    assert refused.value.status == 422
    assert refused.value.issues[0].expression == ("Bundle.entry[1]",)
    assert await store.count("Patient") == 0


async def test_concurrent_transactions_creating_one_patient_make_one(
    client: httpx.AsyncClient,
) -> None:
    for round_number in range(ROUNDS):
        value = f"TX-RACE-{round_number}"
        responses = await released_together(
            [partial(post_bundle, client, _registration(value)) for _ in range(RACERS)]
        )
        assert [r.status_code for r in responses] == [200] * RACERS, responses[0].text
        patients = {r.json()["entry"][0]["resource"]["id"] for r in responses}
        assert len(patients) == 1, f"round {round_number}"
        assert len(await ids_of(client, "Patient", f"identifier={RACE}|{value}")) == 1
        statuses = sorted(r.json()["entry"][0]["response"]["status"] for r in responses)
        assert statuses == ["200 OK"] * (RACERS - 1) + ["201 Created"]


async def test_transactions_of_separate_services_meet_at_the_guard(store: Store) -> None:
    """Each racer has its own service (no shared in-process queue), as separate processes."""
    for round_number in range(ROUNDS):
        value = f"TX-GUARD-{round_number}"
        results = await released_together(
            [partial(apply_bundle, _service(store), _registration(value)) for _ in range(RACERS)]
        )
        patients = {r.bundle["entry"][0]["response"]["location"] for r in results}
        assert len(patients) == 1, f"round {round_number}"
        engine = SearchEngine(store, ())
        assert len(await engine.match_ids("Patient", [("identifier", f"{RACE}|{value}")], 5)) == 1
