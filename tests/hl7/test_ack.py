"""ACK messages: header swap, MSA, ERR by version, and the reject for unreadable input."""

from __future__ import annotations

import pytest

from hl7.ack import AckCode, AckError, ack_bytes, ack_for_raw, build_ack, error_from_parse
from hl7.er7 import ParseError, parse
from tests.hl7.conftest import quirk

ORIGINAL = (
    "MSH|^~\\&|LEGACY^1.2.3^ISO|GENHOSP|FHIRPORT|MIGRATION|20240131083000||ADT^A04^ADT_A01|"
    "CTRL-42|P|2.5.1\rEVN|A04|20240131083000\rPID|1||MRN1^^^GENHOSP^MR"
)


def test_accept_swaps_sender_and_receiver_and_echoes_the_control_id() -> None:
    ack = parse(build_ack(parse(ORIGINAL), control_id="ACK-1", timestamp="20240131083001"))

    assert [s.name for s in ack.segments] == ["MSH", "MSA"]
    assert ack.msh.raw_field(3) == "FHIRPORT"
    assert ack.msh.raw_field(4) == "MIGRATION"
    assert ack.msh.raw_field(5) == "LEGACY^1.2.3^ISO"
    assert ack.msh.raw_field(6) == "GENHOSP"
    assert ack.timestamp == "20240131083001"
    assert ack.msh.raw_field(9) == "ACK^A04^ACK"
    assert ack.control_id == "ACK-1"
    assert ack.processing_id == "P"
    assert ack.version == "2.5.1"
    msa = ack.segments[1]
    assert msa.get(1) == "AA"
    assert msa.get(2) == "CTRL-42"


def test_generated_control_ids_are_new_each_time() -> None:
    original = parse(ORIGINAL)
    ids = {parse(build_ack(original)).control_id for _ in range(50)}

    assert len(ids) == 50
    assert all(0 < len(i) <= 20 for i in ids)


def test_error_ack_v25_has_one_err_per_problem() -> None:
    errors = [
        AckError("Patient identifier (PID-3) is missing | required", "101", "PID^1^3"),
        AckError("Unknown sex code Q", "103", "PID^1^8", severity="W"),
    ]
    ack = parse(build_ack(parse(ORIGINAL), AckCode.ERROR, errors))

    assert ack.segments[1].get(1) == "AE"
    assert ack.segments[1].get(3) == (
        "Patient identifier (PID-3) is missing | required; Unknown sex code Q"
    )
    err = ack.segments_named("ERR")
    assert len(err) == 2
    assert err[0].raw_field(2) == "PID^1^3"
    assert err[0].reps(3) == [[["101"], ["Required field missing"], ["HL70357"]]]
    assert err[0].get(4) == "E"
    assert err[0].get(8) == "Patient identifier (PID-3) is missing | required"
    assert err[1].get(3) == "103"
    assert err[1].get(4) == "W"


def test_error_ack_for_v28_omits_the_withdrawn_msa3() -> None:
    original = parse(quirk("v2.8.hl7"))
    ack = parse(build_ack(original, AckCode.ERROR, [AckError("boom")]))

    assert ack.segments[1].field_count() == 2
    assert ack.segment("ERR") is not None
    assert ack.msh.raw_field(9) == "ACK^A31^ACK"


def test_error_ack_before_v25_uses_err1_and_msa3() -> None:
    original = parse(quirk("v2.2.hl7"))
    errors = [AckError("missing id", "101", "PID^1^3"), AckError("bad", "102", "PV1^1^2")]
    ack = parse(build_ack(original, AckCode.REJECT, errors))

    assert ack.msh.raw_field(9) == "ACK^A08"
    assert ack.version == "2.2"
    assert ack.segments[1].get(3) == "missing id; bad"
    err = ack.segment("ERR")
    assert err is not None
    assert err.field_count() == 1
    assert err.get(1, 1) == "PID"
    assert err.get(1, 3) == "3"
    assert err.get(1, 4, 1) == "101"
    assert err.get(1, 4, 3) == "HL70357"
    assert err.get(1, 4, 1, rep=2) == "102"


def test_ack_for_v21_takes_the_event_from_evn_and_has_no_structure() -> None:
    ack = parse(build_ack(parse(quirk("v2.1-event-in-evn.hl7"))))

    assert ack.msh.raw_field(9) == "ACK^A04"
    assert ack.version == "2.1"


def test_ack_keeps_the_originals_delimiters() -> None:
    original = parse(quirk("custom-delimiters.hl7"))
    ack = parse(build_ack(original, AckCode.ERROR, [AckError("a # b", location="PID^1^3")]))

    assert ack.encoding == original.encoding
    assert ack.msh.get(5, 2) == "1.2.3"
    assert ack.segments[1].get(2) == "CUSTOM-1"
    err = ack.segment("ERR")
    assert err is not None
    # v2.4: ERR-1, with "!" and "%" as this message's component and sub-component marks.
    assert err.raw_field(1) == "PID!1!3!207%Application internal error%HL70357"
    assert err.get(1, 4, 2) == "Application internal error"
    assert ack.segments[1].get(3) == "a # b"


@pytest.mark.parametrize(
    ("data", "msa2"),
    [
        pytest.param(b"\x00\x01 not hl7 at all", "", id="binary"),
        pytest.param(b"PID|1||X", "", id="no-msh"),
        pytest.param(b"MSH\rPID|1", "", id="bare-msh"),
        pytest.param(
            b"MSH|^^^^|A|B|C|D|2024||ADT^A01|SALVAGED-7|P|2.5", "SALVAGED-7", id="bad-msh2"
        ),
        pytest.param(b"MSH|^^^^|A|B|C|D|2024||ADT^A01|A^B|P|2.5", "A\\S\\B", id="escaped-id"),
    ],
)
def test_unparseable_input_gets_a_best_effort_reject(data: bytes, msa2: str) -> None:
    try:
        parse(data)
    except ParseError as exc:
        error = error_from_parse(exc)
    ack = parse(ack_for_raw(data, error, control_id="R-1"))

    assert ack.message_code == "ACK"
    assert ack.control_id == "R-1"
    msa = ack.segments[1]
    assert msa.get(1) == "AR"
    assert msa.raw_field(2) == msa2
    err = ack.segment("ERR")
    assert err is not None
    assert err.get(3) == error.code
    assert err.get(8) == error.message


def test_raw_input_that_parses_gets_the_requested_code_and_a_real_header() -> None:
    ack = parse(ack_for_raw(ORIGINAL.encode(), AckError("handler failed"), AckCode.ERROR))

    assert ack.segments[1].get(1) == "AE"
    assert ack.segments[1].get(2) == "CTRL-42"
    assert ack.msh.get(5) == "LEGACY"


def test_ack_bytes_uses_the_charset_msh18_names() -> None:
    original = parse(quirk("latin1-declared.hl7"))
    ack = build_ack(original, AckCode.ERROR, [AckError("Müller is not a known patient")])

    encoded = ack_bytes(ack)

    assert "Müller".encode("latin-1") in encoded
    assert parse(encoded).segment("ERR") is not None
    assert (
        ack_bytes(build_ack(parse(ORIGINAL), AckCode.ERROR, [AckError("é")])).count("é".encode())
        == 2
    )  # MSA-3 and ERR-8, in UTF-8
