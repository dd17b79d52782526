"""HL7 v2.5 chapter 2 update semantics on every store, with golden ER7 messages.

2.5.3: a field not present leaves what it maps to unchanged, ``""`` deletes it, a
present field replaces it (every repetition); an absent segment is all its fields not
present. 2.10.4: a message carrying NK1 or IN1 segments replaces that set (snapshot).
Several fields feeding one element (PID-13/14 -> telecom, PID-11/12 -> address) each
own their part; parts a REST client added belong to no field.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from mappers.identity import deterministic_id
from server.hl7v2.ingest.model import Change, Outcome
from server.hl7v2.ingest.service import Ingestor
from server.search.query import SearchQuery
from server.storage.port import Method, Store
from tests.ingest.factories import service_on

pytestmark = pytest.mark.anyio

PATIENT = deterministic_id("Patient", "urn:fhirport:id:north", "MRN1")
SURVIVOR = deterministic_id("Patient", "urn:fhirport:id:north", "MRN2")
FULL_PID = (
    "PID|1||MRN1^^^NORTH^MR||Doe^Ann||19800214|F|||1 Main St^^Springfield^IL^62701||"
    "555-0100^PRN^PH~^NET^Internet^ann@example.org|555-0199^WPN^PH|||||123-45-6789|||||||"
)


def segment(name: str, fields: dict[int, str]) -> str:
    """A segment with the given fields (by number) and nothing else."""
    values = [fields.get(n, "") for n in range(1, max(fields) + 1)]
    return "|".join([name, *values])


IN1_FULL = segment(
    "IN1",
    {
        1: "1",
        2: "PLAN1^Gold",
        3: "ACME^^^NORTH",
        4: "Acme Health",
        12: "20240101",
        13: "20241231",
        49: "M1^^^ACME",
    },
)


def message(
    control_id: str, *segments: str, event: str = "A08", when: str = "20240105083000"
) -> bytes:
    structure = {"P03": "DFT^P03^DFT_P03", "A40": "ADT^A40^ADT_A39"}.get(event, f"ADT^{event}")
    lines = [
        f"MSH|^~\\&|LEGACY|NORTH|FHIRPORT|HOSP|{when}||{structure}|{control_id}|P|2.5.1",
        f"EVN|{event}|{when}",
        *segments,
    ]
    return "\r".join(lines).encode()


@pytest.fixture
def ingestor(store: Store) -> Ingestor:
    return Ingestor(service_on(store))


async def current(store: Store, resource_type: str, resource_id: str) -> dict[str, Any]:
    found = await store.read(resource_type, resource_id)
    assert found is not None
    assert found.body is not None
    document: dict[str, Any] = orjson.loads(found.body)
    return document


async def ingest(ingestor: Ingestor, data: bytes) -> None:
    outcome = await ingestor.ingest(data)
    assert outcome.outcome is Outcome.APPLIED, (outcome.reason, outcome.warnings)


async def test_omitted_fields_are_kept(ingestor: Ingestor, store: Store) -> None:
    await ingest(ingestor, message("M1", FULL_PID, event="A04"))
    await ingest(ingestor, message("M2", "PID|1||MRN1^^^NORTH^MR||Doe^Anne", when="20240106"))

    patient = await current(store, "Patient", PATIENT)
    assert patient["name"] == [{"family": "Doe", "given": ["Anne"], "use": "official"}] or patient[
        "name"
    ][0]["given"] == ["Anne"]
    assert patient["address"][0]["city"] == "Springfield"
    assert patient["gender"] == "female"
    assert patient["birthDate"] == "1980-02-14"
    assert any(i["value"] == "123-45-6789" for i in patient["identifier"])
    assert len(patient["telecom"]) == 3


async def test_null_deletes_only_that_field(ingestor: Ingestor, store: Store) -> None:
    await ingest(ingestor, message("M1", FULL_PID, event="A04"))
    await ingest(
        ingestor, message("M2", 'PID|1||MRN1^^^NORTH^MR||Doe^Ann|||""|||""', when="20240106")
    )

    patient = await current(store, "Patient", PATIENT)
    assert "address" not in patient
    assert "gender" not in patient
    assert patient["birthDate"] == "1980-02-14"
    assert len(patient["telecom"]) == 3


async def test_a_repeating_field_sent_replaces_all_its_repetitions(
    ingestor: Ingestor, store: Store
) -> None:
    await ingest(ingestor, message("M1", FULL_PID, event="A04"))
    await ingest(
        ingestor, message("M2", "PID|1||MRN1^^^NORTH^MR||||||||||555-0111^PRN^PH", when="20240106")
    )

    telecom = (await current(store, "Patient", PATIENT))["telecom"]
    # PID-13 now holds one phone; PID-14's work phone is another field's part.
    assert [t["value"] for t in telecom] == ["555-0111", "555-0199"]


async def test_county_and_address_each_keep_their_part(ingestor: Ingestor, store: Store) -> None:
    mrn = "MRN1^^^NORTH^MR"
    first = segment("PID", {3: mrn, 11: "1 Main St^^Springfield", 12: "Sangamon"})
    await ingest(ingestor, message("M1", first, event="A04"))
    moved = segment("PID", {3: mrn, 11: "2 Oak Ave^^Springfield"})
    await ingest(ingestor, message("M2", moved, when="20240106"))

    address = (await current(store, "Patient", PATIENT))["address"]
    assert address == [{"line": ["2 Oak Ave"], "city": "Springfield", "district": "Sangamon"}]

    await ingest(ingestor, message("M3", segment("PID", {3: mrn, 12: '""'}), when="20240107"))
    address = (await current(store, "Patient", PATIENT))["address"]
    assert address == [{"line": ["2 Oak Ave"], "city": "Springfield"}]


async def test_an_absent_pd1_keeps_the_primary_care_provider(
    ingestor: Ingestor, store: Store
) -> None:
    pd1 = "PD1||||1234^Welby^Marcus^^^^^^NPI"
    await ingest(ingestor, message("M1", FULL_PID, pd1, event="A04"))
    await ingest(ingestor, message("M2", "PID|1||MRN1^^^NORTH^MR||Doe^Ann", when="20240106"))

    assert "generalPractitioner" in await current(store, "Patient", PATIENT)


async def test_in1_from_a_dft_keeps_the_coverage_period(ingestor: Ingestor, store: Store) -> None:
    await ingest(ingestor, message("M1", FULL_PID, IN1_FULL, event="A04"))
    coverage_ids = [
        r for r in await _ids(store, "Coverage")
    ]  # the one Coverage the registration made
    assert len(coverage_ids) == 1
    dft = message(
        "M2",
        "PID|1||MRN1^^^NORTH^MR||Doe^Ann|||||||||||||ACC1^^^NORTH",
        "FT1|1|T1||20240301|20240301|CG|99213^Visit^CPT|||1|100.00",
        segment("IN1", {1: "1", 3: "ACME^^^NORTH", 4: "Acme Health", 49: "M1^^^ACME"}),
        event="P03",
        when="20240301",
    )
    await ingest(ingestor, dft)

    coverage = await current(store, "Coverage", coverage_ids[0])
    assert coverage["period"] == {"start": "2024-01-01", "end": "2024-12-31"}
    assert coverage["class"][0]["value"] == "PLAN1"


async def test_nk1_set_is_replaced_when_sent_and_kept_when_not(
    ingestor: Ingestor, store: Store
) -> None:
    await ingest(
        ingestor,
        message("M1", FULL_PID, "NK1|1|Doe^John|SPO", "NK1|2|Doe^Jim|CHD", event="A04"),
    )
    await ingest(ingestor, message("M2", "PID|1||MRN1^^^NORTH^MR||Doe^Ann", when="20240106"))
    assert sorted(p["active"] for p in await _bodies(store, "RelatedPerson")) == [True, True]

    await ingest(
        ingestor, message("M3", "PID|1||MRN1^^^NORTH^MR", "NK1|1|Doe^John|SPO", when="20240107")
    )

    people = {p["name"][0]["given"][0]: p["active"] for p in await _bodies(store, "RelatedPerson")}
    assert people == {"John": True, "Jim": False}


async def test_an_a40_keeps_the_survivors_address(ingestor: Ingestor, store: Store) -> None:
    survivor_pid = FULL_PID.replace("MRN1", "MRN2")
    await ingest(ingestor, message("M1", survivor_pid, event="A04"))
    await ingest(ingestor, message("M2", "PID|1||MRN1^^^NORTH^MR||Doe^Ann", event="A04"))
    await ingest(
        ingestor,
        message(
            "M3",
            "PID|1||MRN2^^^NORTH^MR||Doe^Ann||19800214|F",
            "MRG|MRN1^^^NORTH^MR",
            event="A40",
            when="20240110",
        ),
    )

    survivor = await current(store, "Patient", SURVIVOR)
    assert survivor["address"][0]["city"] == "Springfield"
    assert any(i["value"] == "123-45-6789" for i in survivor["identifier"])


async def test_a_rest_added_telecom_survives_a_message_without_pid13(
    ingestor: Ingestor, store: Store
) -> None:
    service = service_on(store)
    await ingest(ingestor, message("M1", FULL_PID, event="A04"))
    patient = await current(store, "Patient", PATIENT)
    patient["telecom"].append({"system": "email", "value": "clerk@example.org"})
    await service.update("Patient", PATIENT, patient, if_match=None)

    await ingest(ingestor, message("M2", "PID|1||MRN1^^^NORTH^MR||Doe^Anne", when="20300101"))
    telecom = (await current(store, "Patient", PATIENT))["telecom"]
    assert {"system": "email", "value": "clerk@example.org"} in telecom

    await ingest(
        ingestor, message("M3", "PID|1||MRN1^^^NORTH^MR||||||||||555-0111^PRN^PH", when="20300102")
    )
    telecom = (await current(store, "Patient", PATIENT))["telecom"]
    assert [t["value"] for t in telecom] == ["555-0111", "555-0199"]


async def test_an_older_message_after_a_rest_write_is_stale(
    ingestor: Ingestor, store: Store
) -> None:
    service = service_on(store)
    await ingest(ingestor, message("M1", FULL_PID, event="A04"))
    patient = await current(store, "Patient", PATIENT)
    patient["gender"] = "male"
    await service.update("Patient", PATIENT, patient, if_match=None)

    late = await ingestor.ingest(message("M2", "PID|1||MRN1^^^NORTH^MR|||||F", when="20240106"))

    assert late.outcome is Outcome.STALE
    assert (await current(store, "Patient", PATIENT))["gender"] == "male"


async def test_a_rest_delete_is_not_undone_by_a_late_older_message(
    ingestor: Ingestor, store: Store
) -> None:
    service = service_on(store)
    await ingest(ingestor, message("M1", FULL_PID, event="A04"))
    await service.delete("Patient", PATIENT)

    late = await ingestor.ingest(message("M2", "PID|1||MRN1^^^NORTH^MR||Doe^Anne", when="20240106"))

    assert [t.change for t in late.touched] == [Change.STALE]
    found = await store.read("Patient", PATIENT)
    assert found is not None
    assert found.method is Method.DELETE


async def _bodies(store: Store, resource_type: str) -> list[dict[str, Any]]:
    page = await store.search(SearchQuery(resource_type=resource_type, count=100))
    return [orjson.loads(v.body) for v in page.versions if v.body is not None]


async def _ids(store: Store, resource_type: str) -> list[str]:
    return [str(b["id"]) for b in await _bodies(store, resource_type)]
