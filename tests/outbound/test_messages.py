"""The outbound messages from FHIR resources: pure functions, ER7 text out."""

from __future__ import annotations

from typing import Any

import pytest

from hl7.er7 import parse
from mappers.config import MappingConfig
from mappers.fhir_to_v2.header import Header
from mappers.fhir_to_v2.messages import adt_message, siu_message
from tests.conftest import make_patient

HEADER = Header(
    ("FHIRPORT", "MAIN"),
    ("LEGACY", "NORTH"),
    "ADT^A04",
    "0123456789abcdef0123",
    "20250304090000+0000",
)
CONFIG = MappingConfig()


def header(message_type: str) -> Header:
    return Header(
        HEADER.sending, HEADER.receiving, message_type, HEADER.control_id, HEADER.timestamp
    )


def test_an_a04_has_the_header_the_event_the_patient_and_no_visit() -> None:
    text = adt_message(HEADER, make_patient(), CONFIG)

    assert text.split("\r")[:2] == [
        "MSH|^~\\&|FHIRPORT|MAIN|LEGACY|NORTH|20250304090000+0000||ADT^A04^ADT_A01|"
        "0123456789abcdef0123|P|2.5.1||||||UNICODE UTF-8",
        "EVN|A04|20250304090000+0000",
    ]
    assert [s.name for s in parse(text).segments] == ["MSH", "EVN", "PID", "PV1"]
    assert "PV1|1|N" in text


def test_an_a40_names_the_retired_patient_in_mrg() -> None:
    retired = make_patient(identifier=[{"value": "OLD-1"}, {"value": "OLD-2"}])

    message = parse(adt_message(header("ADT^A40"), make_patient(), CONFIG, retired=retired))

    assert [s.name for s in message.segments] == ["MSH", "EVN", "PID", "MRG"]
    assert message.msh.get(9, 3) == "ADT_A39"
    mrg = message.segment("MRG")
    assert mrg is not None
    assert mrg.raw_field(1) == "OLD-1~OLD-2"


@pytest.mark.parametrize(
    ("appointment", "expected"),
    [
        pytest.param(
            {"id": "ap1", "status": "booked", "start": "2025-03-04T09:00:00Z"},
            "SCH|ap1||||||||||^^^20250304090000+0000||||||||||||||Booked",
            id="named-by-its-id",
        ),
        pytest.param(
            {
                "id": "ap2",
                "status": "cancelled",
                "identifier": [
                    {
                        "system": "urn:oid:1.2.3",
                        "value": "P-9",
                        "type": {"coding": [{"code": "PLAC"}]},
                    }
                ],
                "cancelationReason": {"coding": [{"code": "pat", "display": "Patient"}]},
                "minutesDuration": 30,
            },
            "SCH|P-9^^1.2.3^ISO|||||pat^Patient|||30|min|||||||||||||||Cancelled",
            id="placer-id-reason-duration",
        ),
    ],
)
def test_sch_carries_the_ids_times_and_status(appointment: dict[str, Any], expected: str) -> None:
    text = siu_message(
        header("SIU^S12"), {"resourceType": "Appointment", **appointment}, None, CONFIG
    )

    assert text.split("\r")[1] == expected
    assert [s.name for s in parse(text).segments] == ["MSH", "SCH", "RGS"]


def test_delimiters_in_values_are_escaped() -> None:
    patient = make_patient(name=[{"family": "Smith|Jones^Jr", "given": ["A&B"]}])

    message = parse(adt_message(HEADER, patient, CONFIG))

    pid = message.segment("PID")
    assert pid is not None
    assert (pid.get(5, 1), pid.get(5, 2)) == ("Smith|Jones^Jr", "A&B")
