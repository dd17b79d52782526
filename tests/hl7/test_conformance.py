"""check_structure: segments a standard structure does not allow, or requires and lacks."""

from __future__ import annotations

from hl7.conformance import check_structure, structure_segments
from hl7.er7 import parse
from tests.hl7.conftest import quirk

EVENT = "EVN|A04|20240131083000"
PID = "PID|1||MRN1^^^GENHOSP^MR||Doe^Jane"


def adt(*segments: str, version: str = "2.5", event: str = "ADT^A04") -> str:
    msh = f"MSH|^~\\&|A|B|C|D|20240131||{event}|1|P|{version}"
    return "\r".join([msh, *segments])


def test_a_complete_message_conforms() -> None:
    check = check_structure(parse(adt(EVENT, PID, "PV1|1|O", "IN1|1|PLAN", "IN2|1")))

    assert check.structure == "ADT_A01"
    assert check.version == "2.5"
    assert check.conforms


def test_segments_outside_the_structure_are_listed_with_their_position() -> None:
    check = check_structure(parse(quirk("unexpected-segments.hl7")))

    assert check.unexpected == ("OBR (segment 4)", "XYZ (segment 7)")
    assert not check.conforms


def test_z_segments_are_never_unexpected() -> None:
    check = check_structure(parse(quirk("z-segments.hl7")))

    assert check.unexpected == ()
    assert check.conforms


def test_required_segments_that_are_absent_are_missing() -> None:
    check = check_structure(parse(adt(PID)))

    assert check.missing == ("EVN", "PV1")


def test_required_segment_of_an_optional_group_is_required_only_with_its_group() -> None:
    allowed, required = structure_segments("ADT_A01", "2.5") or (frozenset(), frozenset())

    assert {"PR1", "IN1", "IN2", "ZZZ"} & allowed == {"PR1", "IN1", "IN2"}
    assert "IN1" not in required  # the insurance group is optional
    assert {"MSH", "EVN", "PID", "PV1"} <= required


def test_structure_follows_the_event_map_and_the_version() -> None:
    a40 = check_structure(parse(adt(EVENT, PID, "MRG|OLD1", event="ADT^A40")))
    siu = check_structure(parse(quirk("missing-structure.hl7").replace(b"ADT^A40", b"SIU^S14")))

    assert a40.structure == "ADT_A39"
    assert a40.conforms
    assert siu.structure == "SIU_S12"
    assert "SCH" in siu.missing


def test_unknown_structure_or_version_is_not_checked() -> None:
    assert check_structure(parse(adt(PID, event="ZZZ^Z01"))).structure == ""
    unknown_version = check_structure(parse(adt(PID, version="9.9")))
    assert unknown_version.structure == ""
    assert unknown_version.conforms
