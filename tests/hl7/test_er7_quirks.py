"""parse() on the hand-written quirk fixtures: one edge case each."""

from __future__ import annotations

import pytest

from hl7.er7 import NULL, ParseError, parse
from tests.hl7.conftest import quirk


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("separators-cr.hl7", id="cr"),
        pytest.param("separators-lf.hl7", id="lf"),
        pytest.param("separators-crlf.hl7", id="crlf"),
    ],
)
def test_every_segment_separator_gives_the_same_segments(name: str) -> None:
    message = parse(quirk(name))

    assert [s.name for s in message.segments] == ["MSH", "EVN", "PID", "PV1"]
    assert message.segment("PID") is not None
    assert message.segments[2].get(5, 2) == "Jane"
    assert "\n" not in message.raw
    assert message.raw.count("\r") == 3


def test_delimiters_come_from_msh1_and_msh2() -> None:
    message = parse(quirk("custom-delimiters.hl7"))
    pid = message.segments[1]

    assert message.encoding.msh2 == "!$?%"
    assert message.msh.get(1) == "#"
    assert message.msh.get(2) == "!$?%"
    assert message.message_code == "ADT"
    assert message.trigger_event == "A04"
    assert message.sending_application == "LEGACY"
    assert message.msh.get(3, 2) == "1.2.3"
    assert pid.get(3, 4, 2) == "1.2.3"
    assert pid.get(3, 1, rep=2) == "ALT7"
    assert pid.get(5, 2) == "Ann"
    nte = message.segment("NTE")
    assert nte is not None
    # "|^&~\" are plain data under these delimiters; ?F? and ?S? are the escapes.
    assert nte.get(3) == (
        "caret ^ pipe | amp & tilde ~ backslash \\ are data here; escaped hash # bang !"
    )


def test_trailing_delimiters_do_not_change_values_or_counts() -> None:
    with_pipes = parse(quirk("trailing-delimiters.hl7"))
    without = parse(quirk("no-trailing-delimiters.hl7"))

    for message in (with_pipes, without):
        pid = message.segments[1]
        assert pid.get(5, 1) == "Doe"
        assert pid.get(30) == ""
        assert pid.field_count() == 5
        assert message.segments[2].field_count() == 2
        assert message.version == "2.5"
    assert with_pipes.msh.field_count() == without.msh.field_count() == 12


def test_explicit_null_is_distinct_from_absent() -> None:
    message = parse(quirk("explicit-null.hl7"))
    pid = message.segments[1]

    assert pid.get(7) == NULL
    assert pid.get(8) == NULL
    assert pid.get(11, 1) == NULL
    assert pid.get(11, 3) == "Town"
    assert pid.get(9) == ""
    assert pid.reps(7) == [[[NULL]]]
    assert pid.reps(9) == []
    assert message.segments[2].get(3) == NULL


def test_repetitions_components_and_subcomponents() -> None:
    pid = parse(quirk("repetitions-subcomponents.hl7")).segments[1]

    assert pid.get(3, 1) == "MRN1"
    assert pid.get(3, 4, 1) == "GENHOSP"
    assert pid.get(3, 4, 2) == "2.16.840.1.113883.3.1"
    assert pid.get(3, 1, rep=2) == "999-99-9999"
    assert pid.get(3, 4, 3, rep=2) == "ISO"
    assert pid.get(3, 1, rep=3) == ""
    assert pid.get(3, 4, rep=3) == "EMPTY"
    assert pid.get(3, 1, rep=4) == ""
    assert pid.get(5, 2, rep=2) == "Johnny"
    assert pid.get(11, 4, rep=2) == "ST"
    assert pid.get(11, 1, rep=2) == "PO Box 9"
    assert len(pid.reps(3)) == 3
    assert pid.reps(3)[1][3] == ["SSA", "2.16.840.1.113883.4.1", "ISO"]
    assert pid.reps(5)[0] == [["Doe"], ["John"], [""], [""], ["Dr"]]
    assert pid.raw_field(3).startswith("MRN1^^^GENHOSP&")


def test_every_escape_sequence_is_decoded() -> None:
    obx = parse(quirk("escapes.hl7")).segments_named("OBX")

    assert obx[0].get(5) == "pipe | caret ^ amp & tilde ~ backslash \\ hex A bold end"
    assert obx[1].get(5) == "line one\nline two\nline three\nline four\n\nafter gap"
    # Unknown and unterminated sequences are kept as written.
    assert obx[2].get(5) == "keep \\Zlocal\\ and C:\\path and unterminated \\"
    # Hex is UTF-8 when it decodes as UTF-8, else Latin-1; charset switches are dropped.
    assert obx[3].get(5) == "café and naïve and charset switch"
    assert "\\F\\" in obx[0].raw_field(5)


def test_epic_line_breaks_become_newlines() -> None:
    obx = parse(quirk("epic-line-breaks.hl7")).segment("OBX")

    assert obx is not None
    assert obx.get(5) == "No acute findings.\n\nRecommend follow-up.\nSigned."


def test_z_segments_and_unexpected_segments_are_kept_in_order() -> None:
    z = parse(quirk("z-segments.hl7"))
    unexpected = parse(quirk("unexpected-segments.hl7"))

    assert [s.name for s in z.segments] == ["MSH", "EVN", "ZPI", "PID", "ZPV", "PV1", "ZZZ"]
    zpi = z.segment("ZPI")
    assert zpi is not None
    assert zpi.get(2, 2) == "data"
    assert zpi.get(3) == "|kept"
    assert [s.name for s in unexpected.segments] == [
        "MSH", "EVN", "PID", "OBR", "PV1", "PID", "XYZ", "IN1"
    ]  # fmt: skip
    assert [p.get(3) for p in unexpected.segments_named("PID")] == ["MRN123", "SECOND"]
    xyz = unexpected.segment("XYZ")
    assert xyz is not None
    assert xyz.field_count() == 0
    assert xyz.get(1) == ""


@pytest.mark.parametrize(
    ("name", "version", "event", "structure"),
    [
        pytest.param("v2.1-event-in-evn.hl7", "2.1", "A04", "ADT_A01", id="2.1"),
        pytest.param("v2.2.hl7", "2.2", "A08", "ADT_A01", id="2.2"),
        pytest.param("escapes.hl7", "2.5", "T02", "MDM_T02", id="2.5"),
        pytest.param("v2.7-truncation.hl7", "2.7", "A28", "ADT_A05", id="2.7"),
        pytest.param("v2.8.hl7", "2.8", "A31", "ADT_A05", id="2.8"),
        pytest.param("missing-structure.hl7", "2.5", "A40", "ADT_A39", id="A40-merge"),
    ],
)
def test_versions_and_structures(name: str, version: str, event: str, structure: str) -> None:
    message = parse(quirk(name))

    assert message.version == version
    assert message.trigger_event == event
    assert message.structure == structure
    assert message.message_code == "ADT" or name == "escapes.hl7"


def test_v27_truncation_character_is_data_and_its_escape_decodes() -> None:
    message = parse(quirk("v2.7-truncation.hl7"))

    assert message.encoding.truncation == "#"
    assert message.msh.get(2) == "^~\\&#"
    assert message.segments[2].get(5, 2) == "Long#"
    assert message.segments[2].get(5, 5) == "#Esc"


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("latin1-undeclared.hl7", id="latin1-no-msh18"),
        pytest.param("latin1-declared.hl7", id="latin1-msh18"),
    ],
)
def test_latin1_bytes_decode(name: str) -> None:
    pid = parse(quirk(name)).segments[1]

    assert pid.get(5, 1) == "Müller"
    assert pid.get(5, 2) == "José"


def test_utf8_bytes_decode() -> None:
    message = parse(quirk("utf8.hl7"))

    assert message.msh.get(18) == "UNICODE UTF-8"
    assert message.segments[1].get(5) == "Łukasiewicz"
    assert message.segments[1].get(5, 2) == "Zoë"


def test_raw_line_break_inside_a_field_is_kept_with_a_warning() -> None:
    message = parse(quirk("raw-line-break-in-field.hl7"))
    obx = message.segment("OBX")

    assert [s.name for s in message.segments] == ["MSH", "PID", "OBX"]
    assert obx is not None
    assert obx.get(5) == "first line\nsecond line typed with Enter"
    assert obx.get(6) == "F"
    assert len(message.warnings) == 1


def test_msh_fields_and_header_properties() -> None:
    message = parse(quirk("separators-cr.hl7"))

    assert message.control_id == "SEP-CR"
    assert message.sending_application == "LEGACY"
    assert message.sending_facility == "GENHOSP"
    assert message.receiving_application == "FHIRPORT"
    assert message.receiving_facility == "MIGRATION"
    assert message.timestamp == "20240131083000-0500"
    assert message.processing_id == "P"
    assert message.msh.get(9) == "ADT"
    assert message.msh.get(9, 2) == "A04"
    assert message.msh.reps(2) == [[["^~\\&"]]]
    assert message.msh.raw_field(2) == "^~\\&"


@pytest.mark.parametrize(
    ("data", "location"),
    [
        pytest.param(b"", "MSH^1", id="empty"),
        pytest.param(b"PID|1||X", "MSH^1", id="no-msh"),
        pytest.param(b"MSH|^~", "MSH^1^2", id="msh-too-short"),
        pytest.param(b"MSH|^^\\&|A", "MSH^1^2", id="repeated-delimiter"),
        pytest.param(b"MSHA^~\\&|A", "MSH^1^2", id="letter-as-separator"),
        pytest.param(b"MSH|^~\\&#!|A", "MSH^1^2", id="msh2-too-long"),
    ],
)
def test_unreadable_input_raises_parse_error_with_a_location(data: bytes, location: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse(data)

    assert caught.value.location == location
    assert caught.value.reason
    assert isinstance(caught.value, ValueError)


def test_binary_junk_after_a_valid_msh_is_kept_as_text_with_a_warning() -> None:
    message = parse(b"MSH|^~\\&|||||||ADT^A01|1|P|2.5\r\x00\xff\xfe")

    assert message.control_id == "1"
    assert message.warnings
    assert message.msh.get(12).endswith("\x00\xff\xfe")


def test_blanks_before_a_segment_name_are_removed_with_a_warning() -> None:
    message = parse("MSH|^~\\&|A||||||ADT^A04|1|P|2.5\r  PID|1||MRN7\r\tPV1|1|O")

    assert [s.name for s in message.segments] == ["MSH", "PID", "PV1"]
    assert message.segments[1].get(3) == "MRN7"
    assert len(message.warnings) == 2
