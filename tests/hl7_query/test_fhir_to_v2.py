"""FHIR to HL7 v2 segments, pure: a resource in, one escaped ER7 segment out."""

from __future__ import annotations

from typing import Any

import pytest

from hl7.encoding import DEFAULT, Encoding
from hl7.er7 import Segment
from mappers.config import MappingConfig
from mappers.fhir_to_v2 import in1_segment, pid_segment
from mappers.fhir_to_v2.er7_text import dtm
from mappers.fhir_to_v2.identifiers import authority
from tests.hl7_query.factories import coverage

SITE = MappingConfig(authority_systems={"HOSP^MR": "https://hosp.example.org/mrn"})


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        pytest.param("https://hosp.example.org/mrn", ("HOSP", "", ""), id="configured"),
        pytest.param("http://hl7.org/fhir/sid/us-ssn", ("USSSA", "", ""), id="well-known"),
        pytest.param("urn:oid:1.2.3", ("", "1.2.3", "ISO"), id="oid"),
        pytest.param("urn:fhirport:id:clinic", ("CLINIC", "", ""), id="local"),
        pytest.param(
            "https://other.example/ids", ("", "https://other.example/ids", "URI"), id="uri"
        ),
        pytest.param("", ("", "", ""), id="none"),
    ],
)
def test_identifier_system_becomes_its_assigning_authority(
    system: str, expected: tuple[str, str, str]
) -> None:
    assert authority(system, SITE) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("1980-02-29", "19800229", id="date"),
        pytest.param("2024-01", "202401", id="month"),
        pytest.param("2024-03-01T08:30:00Z", "20240301083000+0000", id="utc"),
        pytest.param("2024-03-01T08:30:00.123-05:00", "20240301083000-0500", id="offset"),
        pytest.param(None, "", id="absent"),
    ],
)
def test_fhir_dates_become_dtm(value: Any, expected: str) -> None:
    assert dtm(value) == expected


def test_pid_carries_names_addresses_and_telecom() -> None:
    patient = {
        "resourceType": "Patient",
        "identifier": [{"system": "https://hosp.example.org/mrn", "value": "M1"}],
        "name": [{"family": "Doe", "given": ["Jane", "Q"], "prefix": ["Dr"], "use": "usual"}],
        "address": [{"line": ["1 Main St", "Apt 2"], "city": "Columbus", "use": "home"}],
        "telecom": [
            {"system": "phone", "value": "555-0100", "use": "home"},
            {"system": "phone", "value": "555-0199", "use": "work"},
            {"system": "email", "value": "jane@example.org"},
        ],
        "deceasedDateTime": "2025-01-02",
    }

    pid = Segment(pid_segment(patient, DEFAULT, SITE, 3), DEFAULT)

    assert pid.get(1) == "3"
    assert pid.raw_field(3) == "M1^^^HOSP"
    assert pid.raw_field(5) == "Doe^Jane^Q^^Dr^^D"
    assert pid.raw_field(11) == "1 Main St^Apt 2^Columbus^^^^H"
    assert pid.raw_field(13) == "555-0100^PRN^PH~^NET^Internet^jane@example.org"
    assert pid.raw_field(14) == "555-0199^WPN^PH"
    assert (pid.get(29), pid.get(30)) == ("20250102", "Y")


def test_segments_use_the_answer_delimiters() -> None:
    odd = Encoding(field="#", component="!", repetition="*", escape="$", subcomponent="%")
    patient = {"resourceType": "Patient", "name": [{"family": "A!B", "given": ["C#D"]}]}

    assert pid_segment(patient, odd, SITE) == "PID#1####A$S$B!C$F$D"


def test_in1_of_a_minimal_coverage_names_the_payor() -> None:
    minimal = {"resourceType": "Coverage", "payor": [{"reference": "Organization/acme"}]}

    assert in1_segment(minimal, DEFAULT, SITE) == "IN1|1||acme"


def test_in1_escapes_its_values() -> None:
    resource = coverage("c1", "p1", subscriberId="S|1")
    resource["class"][0]["name"] = "Tool ^ Die"

    in1 = Segment(in1_segment(resource, DEFAULT, SITE, 2), DEFAULT)

    assert in1.raw_field(9) == "Tool \\S\\ Die"
    assert in1.raw_field(36) == "S\\F\\1"
    assert in1.get(36) == "S|1"
