"""parse() on every message of the public fhir-converter corpus (97 messages, v2.3 to v2.8)."""

from __future__ import annotations

import pytest

from hl7.er7 import parse
from hl7.structures import structure_for
from tests.hl7.conftest import corpus_files, corpus_message


def test_every_corpus_message_parses_with_every_segment_kept() -> None:
    files = corpus_files()
    assert len(files) == 97  # beside them, the corpus's LICENSE and README

    for path in files:
        data = path.read_bytes()
        message = parse(data)
        lines = [line for line in data.decode("utf-8-sig").splitlines() if line.strip()]
        assert [s.name for s in message.segments] == [line[:3] for line in lines], path.name
        assert message.warnings == [], path.name
        assert message.control_id, path.name
        assert message.version in {"2.3", "2.5.1", "2.8"}, path.name
        assert message.message_code in {"ADT", "BAR", "DFT", "MDM", "SIU"}, path.name
        assert message.trigger_event, path.name
        assert structure_for(message.message_code, message.trigger_event), path.name
        for segment in message.segments:
            for number in range(1, segment.field_count() + 1):
                for repetition in segment.reps(number):
                    assert repetition, (path.name, segment.name, number)


@pytest.mark.parametrize(
    ("file", "segment", "field", "component", "sub", "rep", "expected"),
    [
        pytest.param("ADT-A04-01.hl7", "PID", 3, 1, 1, 1, "PATID1234", id="pid3"),
        pytest.param("ADT-A04-01.hl7", "PID", 3, 4, 2, 1, "2.16.1", id="pid3-authority-oid"),
        pytest.param("ADT-A04-01.hl7", "PID", 3, 5, 1, 2, "SS", id="pid3-second-rep"),
        pytest.param("ADT-A04-01.hl7", "PID", 5, 1, 5, 1, "Aniston", id="own-surname"),
        pytest.param("ADT-A04-01.hl7", "PV1", 11, 1, 1, 1, "Internal Medicine", id="pv1-11"),
        pytest.param("ADT-A04-01.hl7", "PV1", 13, 1, 1, 1, "R", id="pv1-13"),
        pytest.param(
            "ADT-A04-01.hl7",
            "PV1",
            14,
            1,
            1,
            1,
            "NHS Provider-General (inc.A&E-this Hosp)",
            id="pv1-escaped-ampersand",
        ),
        pytest.param("SIU-S12-01.hl7", "SCH", 2, 1, 1, 1, "36996", id="sch-filler-id"),
        pytest.param("SIU-S12-01.hl7", "SCH", 12, 2, 2, 1, "Mr.", id="sch-subcomponent"),
        pytest.param("DFT-P03-01.hl7", "FT1", 7, 1, 1, 1, "71045", id="ft1-procedure"),
        pytest.param("DFT-P03-01.hl7", "FT1", 11, 1, 2, 1, "USD", id="ft1-amount-currency"),
        pytest.param("DFT-P03-01.hl7", "FT1", 19, 2, 1, 2, "Nasal congestion", id="ft1-dx-rep"),
        pytest.param("MDM-T01-01.hl7", "CON", 24, 1, 1, 1, "Smith", id="con-consenter"),
        pytest.param("ADT04-23.hl7", "MSH", 10, 1, 1, 1, "Q123456789T123456789X123456", id="v23"),
    ],
)
def test_corpus_values(
    file: str, segment: str, field: int, component: int, sub: int, rep: int, expected: str
) -> None:
    found = corpus_message(file).segment(segment)

    assert found is not None
    assert found.get(field, component, sub, rep) == expected


@pytest.mark.parametrize(
    ("file", "structure", "standard"),
    [
        pytest.param("ADT-A04-01.hl7", "ADT_A04", "ADT_A01", id="msh9-3-wins"),
        pytest.param("ADT04-23.hl7", "ADT_A01", "ADT_A01", id="v23-no-msh9-3"),
        pytest.param("SIU-S26-01.hl7", "SIU_S26", "SIU_S12", id="siu-s26"),
        pytest.param("ADT-A40-01.hl7", "ADT_A40", "ADT_A39", id="a40"),
    ],
)
def test_structure_is_msh9_3_when_sent_and_resolved_otherwise(
    file: str, structure: str, standard: str
) -> None:
    message = corpus_message(file)

    assert message.structure == structure
    assert message.standard_structure == standard
