"""QBP^Q22 (find candidates) answered with RSP^K22: only the candidates consent permits."""

from __future__ import annotations

import pytest

from server.consent import codes as c
from server.hl7v2.query.service import QueryStatus
from tests.hl7_query.conftest import Records, names, only
from tests.hl7_query.factories import deny_purpose, patient, privacy_consent, qbp_q22

pytestmark = pytest.mark.anyio

SMITHS = [
    patient("pat-a", "0200001", "Smith", "Anna", birthDate="1975-05-01", gender="female"),
    patient("pat-b", "0200002", "Smith", "Bea", birthDate="1975-05-01", gender="female"),
    patient("pat-c", "0200003", "Smith", "Carl", birthDate="1990-01-01", gender="male"),
    privacy_consent("cons-a", "pat-a"),
    privacy_consent("cons-b", "pat-b", deny_purpose(c.TREAT)),  # opted out
    privacy_consent("cons-c", "pat-c"),
]


async def test_q22_by_name_and_birth_date_leaves_out_the_opted_out(records: Records) -> None:
    await records.put(*SMITHS)

    answer, rsp = await records.ask(qbp_q22("@PID.5.1^Smith~@PID.7^19750501"))

    assert answer.status is QueryStatus.OK
    assert names(rsp) == ["MSH", "MSA", "QAK", "QPD", "PID"]
    assert rsp.msh.raw_field(9) == "RSP^K22^RSP_K21"
    qak = rsp.segments[2]
    assert qak.raw == "QAK|PDQ-7|OK|Q22^Find Candidates^HL70471|1|1|0"
    assert (
        rsp.segments[3].raw
        == "QPD|Q22^Find Candidates^HL70471|PDQ-7|@PID.5.1^Smith~@PID.7^19750501"
    )
    pid = only(rsp.segments_named("PID"))
    assert (pid.get(1), pid.get(3), pid.get(5, 2)) == ("1", "0200001", "Anna")
    event = only(await records.audit_events())
    assert [e["what"].get("reference") for e in event["entity"]][:2] == ["Patient/pat-a", None]


async def test_q22_numbers_every_candidate(records: Records) -> None:
    await records.put(*SMITHS)

    _, rsp = await records.ask(qbp_q22("@PID.5.1^Smith~@PID.8^M"))
    _, by_mrn = await records.ask(qbp_q22("@PID.3.1^0200003~@PID.3.4.2^2.16.840.1.113883.3.9999.1"))

    assert [p.get(5, 2) for p in rsp.segments_named("PID")] == ["Carl"]
    assert [p.get(5, 2) for p in by_mrn.segments_named("PID")] == ["Carl"]
    _, both = await records.ask(qbp_q22("@PID.5.1^Smith"))
    pids = both.segments_named("PID")
    assert [p.get(1) for p in pids] == ["1", "2"]
    assert sorted(p.get(5, 2) for p in pids) == ["Anna", "Carl"]
    assert both.segments[2].raw.endswith("|2|2|0")


async def test_q22_with_no_permitted_candidate_is_nf_and_records_the_query(
    records: Records,
) -> None:
    await records.put(*SMITHS)

    answer, rsp = await records.ask(qbp_q22("@PID.5.1^Smith~@PID.5.2^Bea"))

    assert answer.status is QueryStatus.NF
    assert names(rsp) == ["MSH", "MSA", "QAK", "QPD"]
    assert (rsp.segments[1].get(1), rsp.segments[2].get(2)) == ("AA", "NF")
    event = only(await records.audit_events())
    assert event["type"]["code"] == "110112"
    assert [e["role"]["code"] for e in event["entity"]] == ["24"]
