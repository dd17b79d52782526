"""Queries that cannot be answered: AE or AR with ERR, nothing disclosed, nothing recorded."""

from __future__ import annotations

import pytest

from hl7.er7 import parse
from server.consent import codes as c
from server.hl7v2.query.config import QueryConfig
from server.hl7v2.query.service import QueryStatus, is_record_query
from tests.hl7_query.conftest import Records, names, only
from tests.hl7_query.factories import (
    CLINIC,
    CONFIG,
    msh,
    patient,
    privacy_consent,
    qbp_q22,
    qry_a19,
)

pytestmark = pytest.mark.anyio

SEEDED = [patient("pat-1", "0100137", "Doe", "Jane"), privacy_consent("cons-1", "pat-1")]


@pytest.mark.parametrize(
    ("raw", "location", "code"),
    [
        pytest.param(
            f"{msh('EHR|MERCY', 'QRY^A19', 'Q1')}\rQRF|FHIRPORT".encode(),
            "QRD^1",
            "100",
            id="a19-without-qrd",
        ),
        pytest.param(
            f"{msh('EHR|MERCY', 'QRY^A19', 'Q1')}\rQRD|20261125|R|I|QT-1|||10^RD||DEM".encode(),
            "QRD^1^8",
            "101",
            id="a19-without-who",
        ),
        pytest.param(
            qry_a19("0100137").replace(b"|10^RD|", b"|ten^RD|"),
            "QRD^1^7",
            "102",
            id="a19-bad-limit",
        ),
        pytest.param(
            f"{msh('EHR|MERCY', 'QBP^Q22', 'Q2')}\rRCP|I|5^RD".encode(),
            "QPD^1",
            "100",
            id="q22-without-qpd",
        ),
        pytest.param(qbp_q22("@PID.11.9^Franklin"), "QPD^1^3^1", "103", id="q22-unknown-field"),
        pytest.param(qbp_q22("@PID.7^1975"), "QPD^1^3^1", "102", id="q22-bad-date"),
        pytest.param(qbp_q22("@PID.8^Q"), "QPD^1^3^1", "103", id="q22-bad-sex"),
        pytest.param(qbp_q22("@PID.5.1^"), "QPD^1^3", "101", id="q22-no-criteria"),
    ],
)
async def test_a_query_that_cannot_be_read_is_ae_with_err(
    records: Records, raw: bytes, location: str, code: str
) -> None:
    await records.put(*SEEDED)

    answer, reply = await records.ask(raw)

    assert answer.status is QueryStatus.AE
    assert answer.record is None
    assert names(reply)[:4] == ["MSH", "MSA", "ERR", "QAK"]
    assert reply.segments[1].get(1) == "AE"
    err = reply.segments[2]
    assert err.raw_field(2) == location
    assert err.get(3) == code
    assert reply.segments[3].get(2) == "AE"
    assert "PID" not in names(reply)
    assert await records.audit_events() == []


async def test_an_unknown_sender_is_rejected(records: Records) -> None:
    await records.put(*SEEDED)

    answer, reply = await records.ask(qry_a19("0100137", sender="EHR|STRANGER"))

    assert answer.status is QueryStatus.AR
    assert names(reply) == ["MSH", "MSA", "ERR", "QAK", "QRD", "QRF"]
    assert reply.segments[1].get(1) == "AR"
    assert "not authorized" in reply.segments[2].get(8)
    assert (reply.segments[3].get(1), reply.segments[3].get(2)) == ("QT-1", "AR")
    assert await records.audit_events() == []


async def test_a_configured_default_sender_answers_strangers(records: Records) -> None:
    await records.put(*SEEDED)
    config = QueryConfig(senders=CONFIG.senders, default_sender=CLINIC)

    answer, reply = await records.ask(qry_a19("0100137", sender="EHR|STRANGER"), config)

    assert answer.status is QueryStatus.OK
    assert only(reply.segments_named("PID")).get(3) == "0100137"


async def test_a_sender_is_matched_by_application_and_facility(records: Records) -> None:
    await records.put(*SEEDED)

    payer, _ = await records.ask(qry_a19("0100137", sender="CLAIMS|UNITY"))
    other_app, _ = await records.ask(qry_a19("0100137", sender="BILLING|UNITY"))

    assert payer.status is QueryStatus.OK  # HPAYMT: a base-rule purpose, types named
    assert other_app.status is QueryStatus.AR
    event = only(await records.audit_events())
    assert event["purposeOfEvent"][0]["coding"][0]["code"] == c.HPAYMT


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        pytest.param("2.2", ["MSH", "MSA", "QRD", "QRF", "PID", "PV1"], id="v2.2-no-qak"),
        pytest.param("2.3", ["MSH", "MSA", "QAK", "QRD", "QRF", "PID", "PV1"], id="v2.3"),
        pytest.param("2.4", ["MSH", "MSA", "QAK", "QRD", "QRF", "PID", "PV1"], id="v2.4"),
    ],
)
async def test_the_answer_follows_the_query_version(
    records: Records, version: str, expected: list[str]
) -> None:
    await records.put(*SEEDED)

    _, reply = await records.ask(qry_a19("0100137", version=version))

    assert names(reply) == expected
    assert reply.version == version
    assert reply.msh.raw_field(9) == ("ADR^A19" if version < "2.3.1" else "ADR^A19^ADR_A19")


async def test_a_message_that_is_no_query_is_rejected(records: Records) -> None:
    raw = f"{msh('EHR|MERCY', 'ADT^A08', 'X1')}\rPID|1||0100137".encode()

    answer, reply = await records.ask(raw)

    assert not is_record_query(parse(raw))
    assert is_record_query(parse(qry_a19("1")))
    assert answer.status is QueryStatus.AR
    assert names(reply) == ["MSH", "MSA", "ERR"]
    assert reply.segments[2].get(3) == "200"


async def test_no_data_leaves_when_the_record_cannot_be_stored(
    records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    await records.put(*SEEDED)

    async def broken(*_: object, **__: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(records.store, "write", broken)
    answer, reply = await records.ask(qry_a19("0100137"))

    assert answer.status is QueryStatus.AE
    assert "PID" not in names(reply)
    assert "send the query again" in reply.segments[2].get(8)


async def test_no_data_leaves_when_the_store_cannot_be_read(
    records: Records, monkeypatch: pytest.MonkeyPatch
) -> None:
    await records.put(*SEEDED)

    async def broken(*_: object, **__: object) -> None:
        raise OSError("connection lost")

    monkeypatch.setattr(records.store, "search", broken)
    answer, reply = await records.ask(qbp_q22("@PID.5.1^Doe"))

    assert answer.status is QueryStatus.AE
    assert names(reply) == ["MSH", "MSA", "ERR", "QAK", "QPD"]
    assert "send it again" in reply.segments[2].get(8)
