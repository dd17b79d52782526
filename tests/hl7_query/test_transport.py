"""Record queries through the front door a dispatcher uses, over real MLLP sockets."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from hl7.ack import AckError, ack_bytes, ack_for_raw
from hl7.er7 import parse
from hl7.mllp import serve_mllp
from hl7.mllp_client import send_messages
from server.hl7v2.query.service import RecordQueries
from server.roi.accounting import disclosures
from tests.hl7_query.conftest import NOW, Records, names
from tests.hl7_query.factories import CONFIG, msh, patient, privacy_consent, qbp_q22, qry_a19

pytestmark = pytest.mark.anyio

SEEDED = [patient("pat-1", "0100137", "Doe", "Jane"), privacy_consent("cons-1", "pat-1")]


async def test_queries_are_answered_over_mllp_and_other_messages_passed_on(
    records: Records,
) -> None:
    await records.put(*SEEDED)
    queries = RecordQueries(records.service, records.engine, CONFIG, clock=lambda: NOW)
    passed_on: list[bytes] = []

    async def dispatch(raw: bytes) -> bytes:
        answer = await queries.answer(raw)
        if answer is not None:
            return answer
        passed_on.append(raw)  # what ingest would take
        return ack_bytes(ack_for_raw(raw, AckError("not handled in this test", "200")))

    adt = f"{msh('EHR|MERCY', 'ADT^A08', 'X1')}\rPID|1||0100137".encode()
    async with await serve_mllp("127.0.0.1", 0, dispatch) as server:
        async with asyncio.timeout(20):
            adr, rsp, ack = await send_messages(
                "127.0.0.1", server.port, [qry_a19("0100137"), qbp_q22("@PID.5.1^Doe"), adt]
            )

    assert names(parse(adr)) == ["MSH", "MSA", "QAK", "QRD", "QRF", "PID", "PV1"]
    assert names(parse(rsp)) == ["MSH", "MSA", "QAK", "QPD", "PID"]
    assert parse(ack).segments[1].get(2) == "X1"
    assert passed_on == [adt]
    assert await queries.answer(b"not hl7 at all") is None


async def test_the_accounting_of_disclosures_lists_the_answer(records: Records) -> None:
    await records.put(*SEEDED)
    await records.ask(qry_a19("0100137"))

    listed = await disclosures(records.engine, "pat-1", date(2026, 11, 25), include_exempt=True)
    exempt = await disclosures(records.engine, "pat-1", date(2026, 11, 25), include_exempt=False)

    assert len(listed) == 1
    assert exempt == []  # treatment is exempt from the accounting (164.528(a)(1))
