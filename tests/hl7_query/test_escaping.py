"""Delimiters inside values: escaped on the way out, decoded on the way in."""

from __future__ import annotations

import pytest

from server.hl7v2.query.service import QueryStatus
from tests.hl7_query.conftest import Records, only
from tests.hl7_query.factories import patient, privacy_consent, qbp_q22, qry_a19

pytestmark = pytest.mark.anyio

TRICKY = patient("pat-x", "A&7~2,3", "O^Brien&Sons", "Mary\\Ann")


async def test_delimiters_in_a_name_are_escaped_in_pid(records: Records) -> None:
    await records.put(TRICKY, privacy_consent("cons-x", "pat-x"))

    answer, rsp = await records.ask(qbp_q22("@PID.5.1^O\\S\\Brien\\T\\Sons"))

    assert answer.status is QueryStatus.OK
    pid = only(rsp.segments_named("PID"))
    assert "|O\\S\\Brien\\T\\Sons^Mary\\E\\Ann^" in pid.raw
    assert (pid.get(5, 1), pid.get(5, 2)) == ("O^Brien&Sons", "Mary\\Ann")
    assert pid.raw_field(3).startswith("A\\T\\7\\R\\2,3^^^")
    assert pid.get(3, 1) == "A&7~2,3"


async def test_an_escaped_identifier_in_qrd_finds_its_patient(records: Records) -> None:
    await records.put(TRICKY, privacy_consent("cons-x", "pat-x"))

    answer, adr = await records.ask(qry_a19("A\\T\\7\\R\\2,3"))

    assert answer.status is QueryStatus.OK
    assert only(adr.segments_named("PID")).get(5, 1) == "O^Brien&Sons"


async def test_an_identifier_holding_the_field_separator_finds_only_its_patient(
    records: Records,
) -> None:
    piped = patient("pat-p", "A|1", "Pipe", "Pat")
    await records.put(piped, privacy_consent("cons-p", "pat-p"), TRICKY)
    await records.put(patient("pat-a", "1", "Other", "Al"), privacy_consent("cons-a", "pat-a"))

    answer, adr = await records.ask(qry_a19("A\\F\\1"))

    assert answer.status is QueryStatus.OK
    assert [pid.get(5, 1) for pid in adr.segments_named("PID")] == ["Pipe"]


async def test_a_query_tag_with_delimiters_is_echoed_escaped(records: Records) -> None:
    await records.put(TRICKY, privacy_consent("cons-x", "pat-x"))
    raw = qbp_q22("@PID.5.1^Nobody").replace(b"|PDQ-7|", b"|T\\S\\1|")

    _, rsp = await records.ask(raw)

    assert rsp.segments[2].raw.startswith("QAK|T\\S\\1|NF|")
    assert rsp.segments[2].get(1) == "T^1"
