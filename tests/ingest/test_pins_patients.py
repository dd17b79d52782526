"""A message's record whose patient is merged between the message's planning and its commit
ends at the survivor: the write pinned the version of the Patient it names (Write.requires),
so the store refuses it and the message is planned again, which sees the merge.

The merge runs at exactly that moment: the ingestor's reads, once, merge the patient
right after reading it. The merge's own search for the patient's records, and its
search after its commit, both run before the message's record is stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import httpx
import pytest

from server.hl7v2.ingest.reads import Found, Key, Reader
from server.runtime import Runtime
from server.settings import Settings
from server.storage.port import StoredVersion
from tests.conftest import running_app
from tests.merge.race import ER7, FHIR_JSON, mentions, merge_parameters, patient_id, registration

pytestmark = pytest.mark.anyio


class MergesAfterReading:
    """The ingestor's reads, merging ``retired`` into ``survivor`` after the first read of it."""

    def __init__(self, reads: Reader, http: httpx.AsyncClient, retired: str, survivor: str):
        self.reads = reads
        self.http = http
        self.retired = retired
        self.survivor = survivor
        self.merged = False

    async def read(self, resource_type: str, resource_id: str) -> StoredVersion | None:
        return (await self.read_many([(resource_type, resource_id)]))[(resource_type, resource_id)]

    async def read_many(self, keys: Sequence[Key]) -> Found:
        found = await self.reads.read_many(keys)
        if not self.merged and ("Patient", self.retired) in found:
            self.merged = True
            merge = merge_parameters(self.retired, self.survivor)
            answer = await self.http.post("/fhir/Patient/$merge", json=merge, headers=FHIR_JSON)
            assert answer.status_code == 200, answer.text
        return found


@pytest.fixture
async def app_client(settings: Settings) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    async with running_app(settings) as http:
        yield http.app.state.runtime, http  # type: ignore[attr-defined]


def _booking(mrn: str) -> bytes:
    """SIU^S12 booking an appointment of the patient with ``mrn`` (assigned by NORTH)."""
    return "\r".join(
        [
            "MSH|^~\\&|LEGACY|NORTH|FHIRPORT|HOSP|20240102||SIU^S12^SIU_S12|PIN-1|P|2.5.1",
            "SCH|PIN-1^LEGACY|||||||ROUTINE|20|min|^^^202402150900||||||||||||||Booked",
            f"PID|1||{mrn}^^^NORTH^MR||Doe^Ann||19800214|F",
            "RGS|1|A",
            "AIS|1|A|99213^Office visit^C4|202402150900|||20|min",
        ]
    ).encode()


async def test_a_booking_merged_after_it_was_planned_ends_at_the_survivor(
    app_client: tuple[Runtime, httpx.AsyncClient],
) -> None:
    runtime, http = app_client
    for mrn in ("PIN-OLD", "PIN-NEW"):
        answer = await http.post("/fhir/$hl7v2-ingest", content=registration(mrn), headers=ER7)
        assert answer.status_code == 200, answer.text
    retired, survivor = patient_id("PIN-OLD"), patient_id("PIN-NEW")
    ingestor = runtime.ingestor
    ingestor.reader = MergesAfterReading(ingestor.reader, http, retired, survivor)

    answer = await http.post("/fhir/$hl7v2-ingest", content=_booking("PIN-OLD"), headers=ER7)

    assert answer.status_code == 200, answer.text
    assert ingestor.reader.merged
    found = await http.get("/fhir/Appointment", params={"patient": survivor})
    booked = [e["resource"] for e in found.json().get("entry", [])]
    assert len(booked) == 1, found.json()
    assert mentions(booked[0], survivor), booked[0]
    assert not mentions(booked[0], retired), booked[0]
