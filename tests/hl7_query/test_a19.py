"""QRY^A19 answered with ADR^A19 through the consent engine, each answer recorded."""

from __future__ import annotations

import pytest

from mappers.config import MappingConfig
from server.consent import codes as c
from server.hl7v2.query.config import QueryConfig
from server.hl7v2.query.service import QueryStatus
from tests.hl7_query.conftest import Records, names, only
from tests.hl7_query.factories import (
    CONFIG,
    MERCY,
    coverage,
    deny_purpose,
    deny_type,
    patient,
    privacy_consent,
    qry_a19,
)

pytestmark = pytest.mark.anyio

SEEN = [
    patient("pat-1", "0100137", "Álvarez", "José", birthDate="1980-02-29", gender="male"),
    coverage("cov-1", "pat-1"),
    coverage("cov-old", "pat-1", status="cancelled"),
]


async def test_a19_answers_pid_pv1_and_in1_of_active_coverages(records: Records) -> None:
    await records.put(*SEEN, privacy_consent("cons-1", "pat-1"))

    answer, adr = await records.ask(qry_a19("0100137"))

    assert answer.status is QueryStatus.OK
    assert names(adr) == ["MSH", "MSA", "QAK", "QRD", "QRF", "PID", "PV1", "IN1"]
    assert adr.msh.raw_field(9) == "ADR^A19^ADR_A19"
    assert (adr.msh.get(3), adr.msh.get(4), adr.msh.get(5), adr.msh.get(6)) == (
        "FHIRPORT",
        "HIM",
        "EHR",
        "MERCY",
    )
    msa, qak = adr.segments[1], adr.segments[2]
    assert (msa.get(1), msa.get(2)) == ("AA", "Q1")
    assert [qak.get(n) for n in (1, 2, 4, 5, 6)] == ["QT-1", "OK", "1", "1", "0"]
    pid = only(adr.segments_named("PID"))
    assert (pid.get(3, 1), pid.get(3, 4, 2), pid.get(3, 4, 3), pid.get(3, 5)) == (
        "0100137",
        "2.16.840.1.113883.3.9999.1",
        "ISO",
        "MR",
    )
    assert (pid.get(5, 1), pid.get(5, 2), pid.get(5, 7)) == ("Álvarez", "José", "L")
    assert (pid.get(7), pid.get(8)) == ("19800229", "M")
    assert only(adr.segments_named("PV1")).raw == "PV1|1|U"
    in1 = only(adr.segments_named("IN1"))
    assert [in1.get(1), in1.get(2, 1), in1.get(2, 2), in1.get(3), in1.get(4)] == [
        "1",
        "UNITY-CORE-HMO",
        "Unity Core HMO",
        "org-unity",
        "Unity Mutual Health",
    ]
    assert [in1.get(8), in1.get(9), in1.get(12), in1.get(13), in1.get(17)] == [
        "GRP-18284",
        "Acme Tool & Die employees",
        "20230101",
        "20261231",
        "SEL",
    ]
    assert (in1.get(36), in1.get(49, 1), in1.get(49, 4, 2)) == (
        "SUB-cov-1",
        "MB-cov-1",
        "2.16.840.1.113883.3.9999.2.11",
    )


async def test_a19_answer_is_one_disclosure_record(records: Records) -> None:
    await records.put(*SEEN, privacy_consent("cons-1", "pat-1"))

    answer, adr = await records.ask(qry_a19("0100137"))

    event = only(await records.audit_events())
    assert answer.record is not None
    assert answer.record.id == event["id"]
    assert event["subtype"][0]["code"] == "disclose"
    assert event["purposeOfEvent"][0]["coding"][0]["code"] == c.TREAT
    recipient = next(a for a in event["agent"] if a["type"]["coding"][0]["code"] == "110152")
    assert recipient["who"] == {"reference": MERCY}
    what = [e["what"] for e in event["entity"]]
    assert what[0] == {"reference": "Patient/pat-1"}
    assert what[1]["identifier"]["value"] == adr.control_id  # the answer that went out
    assert what[2]["identifier"]["value"] == "Q1"  # the query it answered
    assert "Coverage 1, Patient 1" in event["entity"][1]["description"]
    found = records.engine.parse("AuditEvent", [("patient", "Patient/pat-1")], lenient=False)
    assert [v.id for v in (await records.engine.run(found)).page.versions] == [event["id"]]


async def test_an_opted_out_patient_is_simply_not_found(records: Records) -> None:
    await records.put(*SEEN, privacy_consent("cons-1", "pat-1", deny_purpose(c.TREAT)))

    answer, adr = await records.ask(qry_a19("0100137"))

    assert answer.status is QueryStatus.NF
    assert names(adr) == ["MSH", "MSA", "QAK", "QRD", "QRF"]
    assert adr.segments[1].get(1) == "AA"
    assert [adr.segments[2].get(n) for n in (1, 2, 4)] == ["QT-1", "NF", "0"]
    event = only(await records.audit_events())
    assert event["type"]["code"] == "110112"  # a query, not a disclosure
    assert "subtype" not in event
    assert [e["role"]["code"] for e in event["entity"]] == ["24"]
    assert event["purposeOfEvent"][0]["coding"][0]["code"] == c.TREAT


async def test_a_patient_without_any_consent_follows_the_default_deny(records: Records) -> None:
    await records.put(*SEEN)

    answer, adr = await records.ask(qry_a19("0100137"))

    assert answer.status is QueryStatus.NF
    assert "PID" not in names(adr)


async def test_a_denied_coverage_is_left_out_of_the_answer(records: Records) -> None:
    await records.put(*SEEN, privacy_consent("cons-1", "pat-1", deny_type("Coverage")))

    answer, adr = await records.ask(qry_a19("0100137"))

    assert answer.status is QueryStatus.OK
    assert names(adr)[-2:] == ["PID", "PV1"]
    event = only(await records.audit_events())
    assert "(Patient 1)" in event["entity"][1]["description"]


async def test_qrd_8_authority_names_the_identifier_system(records: Records) -> None:
    site = QueryConfig(
        senders=CONFIG.senders, mapping=MappingConfig(authority_systems={"HOSP": "urn:hosp:mrn"})
    )
    hospital = {"system": "urn:hosp:mrn", "value": "H-77"}
    await records.put(
        patient("pat-h", "0100137", "Roe", "Rick", identifier=[hospital]),
        privacy_consent("cons-h", "pat-h"),
    )

    by_authority, adr = await records.ask(qry_a19("H-77^^^^^^^^HOSP"), site)
    without, _ = await records.ask(qry_a19("H-77"), site)

    assert by_authority.status is QueryStatus.OK
    assert only(adr.segments_named("PID")).raw_field(3) == "H-77^^^HOSP"
    assert without.status is QueryStatus.NF  # no authority: the default patient system


async def test_an_unknown_identifier_is_not_found(records: Records) -> None:
    await records.put(*SEEN, privacy_consent("cons-1", "pat-1"))

    answer, adr = await records.ask(qry_a19("9999999"))

    assert answer.status is QueryStatus.NF
    assert adr.segments[2].get(2) == "NF"
