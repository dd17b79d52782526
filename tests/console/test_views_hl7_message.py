"""The workbench's reading of a pasted message: segments, fields and components by name."""

from __future__ import annotations

import pytest

from server.console.views.hl7_message import describe_message

A04 = (
    "MSH|^~\\&|LEGACYEHR|NORTHCLINIC|FHIRPORT|MAIN|20240102083000||ADT^A04^ADT_A01|MSG0001|P|2.5.1\r"
    "EVN|A04|20240102083000\r"
    "PID|1||MRN123^^^NORTH^MR||EVERYMAN^ADAM^A||19800101|M|||1 Main St^^Columbus^OH^43004\r"
    "ZPI|1|site data"
)


def test_header_facts() -> None:
    view = describe_message(A04)
    assert view.error is None
    assert (view.message_type, view.control_id, view.sender) == (
        "ADT^A04",
        "MSG0001",
        "LEGACYEHR|NORTHCLINIC",
    )
    assert [s.name for s in view.segments] == ["MSH", "EVN", "PID", "ZPI"]


def test_fields_and_components_are_named() -> None:
    pid = describe_message(A04).segments[2]
    fields = {f.position: f for f in pid.fields}
    assert fields["PID-5"].name == "Patient name"
    assert fields["PID-5"].datatype == "XPN"
    family, given, _middle = fields["PID-5"].repetitions[0]
    assert (family.position, family.name, family.value) == ("PID-5.1", "Family name", "EVERYMAN")
    assert (given.name, given.value) == ("Given name", "ADAM")
    assert fields["PID-7"].name == "Date time of birth"
    # only fields that hold something are listed
    assert "PID-2" not in fields


def test_msh_numbering_counts_the_separator() -> None:
    msh = describe_message(A04).segments[0]
    fields = {f.position: f for f in msh.fields}
    assert fields["MSH-1"].value == "|"
    assert fields["MSH-10"].name == "Message control id"
    assert fields["MSH-10"].value == "MSG0001"


def test_z_segment_fields_are_numbered_without_names() -> None:
    zpi = describe_message(A04).segments[3]
    assert [(f.position, f.name, f.value) for f in zpi.fields] == [
        ("ZPI-1", "", "1"),
        ("ZPI-2", "", "site data"),
    ]


def test_unknown_version_falls_back_to_251_names() -> None:
    view = describe_message(A04.replace("|P|2.5.1", "|P|9.9"))
    assert view.names_version == "2.5.1"
    assert view.segments[2].fields[0].name == "Set id pid"


@pytest.mark.parametrize(
    "text",
    [pytest.param("", id="empty"), pytest.param("PID|1||X", id="no-msh")],
)
def test_unreadable_input_is_an_error_not_an_exception(text: str) -> None:
    view = describe_message(text)
    assert view.error
    assert view.segments == ()
