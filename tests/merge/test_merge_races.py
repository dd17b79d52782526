"""Merges racing each other and racing REST updates, on every store (in-process, one app).

The racers are started first and released together (tests.released_together), round
after round with fresh patients. Two merges of the same retired patient into the same
survivor leave exactly one merge: one ``replaced-by``, one ``replaces``, one new version
of each record, one Provenance naming it; the loser answers as a merge after the fact
would. A REST update of a record racing its merge is never lost: either it lands and
the record still ends pointing at the survivor, or, under ``If-Match``, it is 412.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import httpx
import pytest

from tests.merge.race import (
    ER7,
    FHIR_JSON,
    a40,
    links,
    mentions,
    merge_parameters,
    patient_id,
    records_of,
    registration,
)
from tests.released_together import released_together

pytestmark = pytest.mark.anyio

ROUNDS = 4
RECORDS = 6


async def _setup(client: httpx.AsyncClient, tag: str) -> tuple[str, str, list[str]]:
    """Register two patients over HL7v2 and give the first RECORDS records over REST."""
    retired_mrn, survivor_mrn = f"{tag}-OLD", f"{tag}-NEW"
    for mrn in (retired_mrn, survivor_mrn):
        answer = await client.post("/fhir/$hl7v2-ingest", content=registration(mrn), headers=ER7)
        assert answer.status_code == 200, answer.text
    retired, survivor = patient_id(retired_mrn), patient_id(survivor_mrn)
    made = []
    for record in records_of(retired, RECORDS):
        answer = await client.post(f"/fhir/{record['resourceType']}", json=record)
        assert answer.status_code == 201, answer.text
        made.append(f"{record['resourceType']}/{answer.json()['id']}")
    return retired, survivor, made


async def _json(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    answer = await client.get(url)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def assert_one_merge(
    client: httpx.AsyncClient, retired: str, survivor: str, records: list[str]
) -> None:
    """What exactly one merge of ``retired`` into ``survivor`` leaves behind."""
    old = await _json(client, f"/fhir/Patient/{retired}")
    new = await _json(client, f"/fhir/Patient/{survivor}")
    assert links(old, "replaced-by", survivor) == 1
    assert links(new, "replaces", retired) == 1
    old_history = await _json(client, f"/fhir/Patient/{retired}/_history")
    assert len(old_history["entry"]) == 2, "registered, then retired once"
    for reference in records:
        record = await _json(client, f"/fhir/{reference}")
        assert mentions(record, survivor), reference
        assert not mentions(record, retired), reference
        history = await _json(client, f"/fhir/{reference}/_history")
        assert len(history["entry"]) == 2, f"{reference}: created, then repointed once"
        provenance = await _json(client, f"/fhir/Provenance?target={reference}")
        assert len(provenance.get("entry", [])) == 1, f"{reference}: one merge Provenance"


Call = Callable[[], Awaitable[httpx.Response]]


def _merge(client: httpx.AsyncClient, retired: str, survivor: str) -> Call:
    body = merge_parameters(retired, survivor)
    return partial(client.post, "/fhir/Patient/$merge", json=body, headers=FHIR_JSON)


def _ingest(client: httpx.AsyncClient, message: bytes) -> Call:
    return partial(client.post, "/fhir/$hl7v2-ingest", content=message, headers=ER7)


def _put(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Call:
    return partial(client.put, url, json=body, headers=headers or FHIR_JSON)


def _merge_answer_is_one_or_already_merged(answer: httpx.Response) -> bool:
    """200 (it merged), or 422 saying the source was already merged."""
    if answer.status_code == 200:
        return True
    return answer.status_code == 422 and "already merged" in answer.text


async def test_an_a40_and_a_merge_operation_at_once_merge_once(
    client: httpx.AsyncClient,
) -> None:
    for round_number in range(ROUNDS):
        tag = f"AM{round_number}"
        retired, survivor, records = await _setup(client, tag)

        ingested, merged = await released_together(
            [
                _ingest(client, a40(f"M-{tag}", f"{tag}-NEW", f"{tag}-OLD")),
                _merge(client, retired, survivor),
            ]
        )

        assert ingested.status_code == 200, ingested.text
        entry = ingested.json()["entry"][0]["response"]
        assert entry["status"] == "200 OK", entry
        assert _merge_answer_is_one_or_already_merged(merged), merged.text
        await assert_one_merge(client, retired, survivor, records)


async def test_two_merge_operations_at_once_merge_once(client: httpx.AsyncClient) -> None:
    for round_number in range(ROUNDS):
        retired, survivor, records = await _setup(client, f"MM{round_number}")

        answers = await released_together([_merge(client, retired, survivor)] * 2)

        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200, 422], [a.text for a in answers]
        assert "already merged" in next(a.text for a in answers if a.status_code == 422)
        await assert_one_merge(client, retired, survivor, records)


async def test_an_update_racing_the_merge_is_kept_and_ends_at_the_survivor(
    client: httpx.AsyncClient,
) -> None:
    for round_number in range(ROUNDS):
        retired, survivor, records = await _setup(client, f"MU{round_number}")
        target = records[0]
        read = await _json(client, f"/fhir/{target}")
        edited = {**read, "comment": f"edit {round_number}"}

        merged, updated = await released_together(
            [_merge(client, retired, survivor), _put(client, f"/fhir/{target}", edited)]
        )

        assert merged.status_code == 200, merged.text
        assert updated.status_code == 200, updated.text
        record = await _json(client, f"/fhir/{target}")
        assert record["comment"] == f"edit {round_number}", "the update was lost"
        assert mentions(record, survivor)
        assert not mentions(record, retired)


async def test_an_if_match_update_racing_the_merge_lands_or_is_412(
    client: httpx.AsyncClient,
) -> None:
    for round_number in range(ROUNDS):
        retired, survivor, records = await _setup(client, f"MI{round_number}")
        target = records[0]
        read = await _json(client, f"/fhir/{target}")
        edited = {**read, "comment": f"edit {round_number}"}
        headers = {**FHIR_JSON, "If-Match": 'W/"1"'}

        merged, updated = await released_together(
            [
                _merge(client, retired, survivor),
                _put(client, f"/fhir/{target}", edited, headers),
            ]
        )

        assert merged.status_code == 200, merged.text
        assert updated.status_code in (200, 412), updated.text
        record = await _json(client, f"/fhir/{target}")
        assert (record.get("comment") == f"edit {round_number}") == (updated.status_code == 200)
        assert mentions(record, survivor)
        assert not mentions(record, retired)


async def test_a_blind_update_read_before_the_merge_and_sent_after_ends_at_the_survivor(
    client: httpx.AsyncClient,
) -> None:
    # The racing update's worst interleaving, made certain: read before, written after.
    retired, survivor, records = await _setup(client, "MB")
    target = records[0]
    read = await _json(client, f"/fhir/{target}")
    merged = await _merge(client, retired, survivor)()
    assert merged.status_code == 200, merged.text

    updated = await client.put(f"/fhir/{target}", json={**read, "comment": "late edit"})

    assert updated.status_code == 200, updated.text
    record = await _json(client, f"/fhir/{target}")
    assert record["comment"] == "late edit"
    assert mentions(record, survivor), "the update put the merged patient back"
    assert not mentions(record, retired)
