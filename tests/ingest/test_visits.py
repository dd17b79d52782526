"""A visit's events on the store: one Encounter per visit number, its status moving with
the events (A11 cancels an admission, A13 a discharge), its location history kept."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from server.hl7v2.ingest.model import Outcome
from server.hl7v2.ingest.service import Ingestor
from server.storage.port import Store
from tests.ingest.factories import service_on

pytestmark = pytest.mark.anyio

PID = "PID|1||MRN1^^^NORTH^MR||Doe^Ann||19800214|F"
ATTENDING = "1234^WELBY^MARCUS"


def adt(event: str, control_id: str, when: str, location: str, **fields: str) -> bytes:
    pv1 = ["PV1", "1", "I", location] + [""] * 42
    pv1[19] = "V100^^^NORTH^VN"
    pv1[44] = "20240130080000"
    for number, value in fields.items():
        pv1[int(number.removeprefix("f"))] = value
    return (
        f"MSH|^~\\&|LEGACY|NORTH|FHIRPORT|HOSP|{when}||ADT^{event}|{control_id}|P|2.5.1\r"
        f"EVN|{event}|{when}\r{PID}\r{'|'.join(pv1).rstrip('|')}\r"
    ).encode()


async def encounter(store: Store, outcome_reference: str) -> dict[str, Any]:
    stored = await store.read("Encounter", outcome_reference.split("/")[1])
    assert stored is not None
    assert stored.body is not None
    document: dict[str, Any] = orjson.loads(stored.body)
    return document


def _encounter_reference(outcomes: list[Any]) -> str:
    return next(
        t.reference for o in outcomes for t in o.touched if t.reference.startswith("Encounter/")
    )


async def test_admit_transfer_discharge_keeps_the_location_history(store: Store) -> None:
    ingestor = Ingestor(service_on(store))
    outcomes = [
        await ingestor.ingest(adt("A01", "V1", "20240130080000", "WARD1^101", f7=ATTENDING)),
        await ingestor.ingest(
            adt("A02", "V2", "20240130120000", "WARD2^201", f6="WARD1^101", f7=ATTENDING)
        ),
        await ingestor.ingest(adt("A03", "V3", "20240131100000", "WARD2^201")),
    ]

    assert [o.outcome for o in outcomes] == [Outcome.APPLIED] * 3
    stored = await encounter(store, _encounter_reference(outcomes))
    assert stored["status"] == "finished"
    assert [(e["location"]["display"], e["status"]) for e in stored["location"]] == [
        ("WARD1 / 101", "completed"),
        ("WARD2 / 201", "completed"),
    ]
    assert stored["period"] == {"start": "2024-01-30T08:00:00Z", "end": "2024-01-31T10:00:00Z"}
    # A03 sent no PV1-7: the attending doctor on file stays.
    assert stored["participant"][0]["individual"]["display"] == "MARCUS WELBY"


async def test_a11_cancels_the_admission(store: Store) -> None:
    ingestor = Ingestor(service_on(store))
    admitted = await ingestor.ingest(adt("A01", "C1", "20240130080000", "WARD1^101"))
    await ingestor.ingest(adt("A11", "C2", "20240130090000", "WARD1^101"))

    stored = await encounter(store, _encounter_reference([admitted]))
    assert stored["status"] == "cancelled"


async def test_a13_cancels_the_discharge(store: Store) -> None:
    ingestor = Ingestor(service_on(store))
    admitted = await ingestor.ingest(adt("A01", "D1", "20240130080000", "WARD1^101"))
    await ingestor.ingest(adt("A03", "D2", "20240131100000", "WARD1^101", f45="20240131100000"))
    discharged = await encounter(store, _encounter_reference([admitted]))
    await ingestor.ingest(adt("A13", "D3", "20240131110000", "WARD1^101", f44=""))

    stored = await encounter(store, _encounter_reference([admitted]))
    assert discharged["status"] == "finished"
    assert stored["status"] == "in-progress"
    assert stored["period"] == {"start": "2024-01-30T08:00:00Z"}
    assert stored["location"][-1]["status"] == "active"


DFT = (
    b"MSH|^~\\&|LEGACY|NORTH|FHIRPORT|HOSP|20240201090000||DFT^P03|F1|P|2.5.1\r"
    b"EVN|P03|20240201090000\r"
    b"PID|1||MRN1^^^NORTH^MR||Doe^Ann||19800214|F|||||||||ACC1^^^NORTH^AN\r"
    b"PV1|1|I|WARD1^101||||||||||||||||V100^^^NORTH^VN\r"
    b"FT1|1|TX1||20240130|20240130|CG|99213^Visit^C4|||1|100&USD||||||||||||||99213^Visit^C4\r"
)


async def test_a_claim_references_the_encounter_of_its_visit(store: Store) -> None:
    ingestor = Ingestor(service_on(store))
    admitted = await ingestor.ingest(adt("A01", "E1", "20240130080000", "WARD1^101"))
    charged = await ingestor.ingest(DFT)

    reference = _encounter_reference([admitted])
    claim_ref = next(t.reference for t in charged.touched if t.reference.startswith("Claim/"))
    claim = await store.read("Claim", claim_ref.split("/")[1])
    assert claim is not None
    assert claim.body is not None
    items = orjson.loads(claim.body)["item"]
    assert items[0]["encounter"] == [{"reference": reference}]
    assert (await encounter(store, reference))["status"] == "in-progress"  # DFT changed nothing


async def test_a_transfer_that_names_only_the_new_bed_keeps_the_old_one(store: Store) -> None:
    ingestor = Ingestor(service_on(store))
    admitted = await ingestor.ingest(adt("A01", "T1", "20240130080000", "WARD1^101"))
    await ingestor.ingest(adt("A02", "T2", "20240130120000", "WARD2^201"))

    stored = await encounter(store, _encounter_reference([admitted]))
    assert [(e["location"]["display"], e["status"]) for e in stored["location"]] == [
        ("WARD1 / 101", "completed"),
        ("WARD2 / 201", "active"),
    ]
