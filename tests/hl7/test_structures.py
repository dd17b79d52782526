"""The event -> structure map read from the V2-to-FHIR IG's MessageStructure sheet."""

from __future__ import annotations

import pytest

from hl7.structures import structure_for


@pytest.mark.parametrize(
    ("code", "event", "structure"),
    [
        ("ADT", "A01", "ADT_A01"),
        ("ADT", "A04", "ADT_A01"),
        ("ADT", "A08", "ADT_A01"),
        ("ADT", "A13", "ADT_A01"),
        ("ADT", "A05", "ADT_A05"),
        ("ADT", "A28", "ADT_A05"),
        ("ADT", "A31", "ADT_A05"),
        ("ADT", "A40", "ADT_A39"),
        ("ADT", "A34", "ADT_A30"),
        ("ADT", "A47", "ADT_A30"),
        ("ADT", "A18", "ADT_A18"),
        ("ADT", "A60", "ADT_A60"),
        ("SIU", "S12", "SIU_S12"),
        ("SIU", "S13", "SIU_S12"),
        ("SIU", "S15", "SIU_S12"),
        ("SIU", "S26", "SIU_S12"),
        ("DFT", "P03", "DFT_P03"),
        ("BAR", "P12", "BAR_P12"),
        ("MDM", "T05", "MDM_T01"),
        ("MDM", "T10", "MDM_T02"),
        ("ORU", "R01", "ORU_R01"),
        ("MFN", "M01", "MFN_M01"),
        ("ACK", "A04", "ACK"),
        ("ACK", "", "ACK"),
    ],
)
def test_standard_structures(code: str, event: str, structure: str) -> None:
    assert structure_for(code, event) == structure


@pytest.mark.parametrize(
    ("code", "event"),
    [("ADT", "S12"), ("SIU", "A04"), ("ZZZ", "Z01"), ("ADT", ""), ("", "A04")],
)
def test_pairs_that_are_not_standard_have_no_structure(code: str, event: str) -> None:
    assert structure_for(code, event) == ""
