"""The mapper's field report: which fields a message sent, which part each produced.

The mapper stays pure (a message in, resources and reports out); the ingest merges
the report with the stored resource (tests/ingest/test_update_semantics.py).
"""

from __future__ import annotations

import pytest

from mappers.fields import FieldReport, FieldState
from mappers.result import MappingResult
from tests.mappers.messages import map_lines, msh


def pid(**fields: str) -> str:
    """A PID with fields by number (``f3="..."``)."""
    numbered = {int(name[1:]): value for name, value in fields.items()}
    return "|".join(["PID", *(numbered.get(n, "") for n in range(1, max(numbered) + 1))])


def report_of(result: MappingResult, resource_type: str) -> FieldReport:
    (mapped,) = [m for m in result.resources if m.resource["resourceType"] == resource_type]
    assert mapped.fields is not None
    return mapped.fields


def test_present_null_and_absent_fields_are_told_apart() -> None:
    result = map_lines(
        msh("ADT^A08"),
        pid(f3="MRN1^^^HOSP^MR", f8='""', f11="1 MAIN ST", f13="555-0100^PRN^PH"),
    )

    states = report_of(result, "Patient").states
    assert states["PID-3"] is FieldState.PRESENT
    assert states["PID-8"] is FieldState.NULL
    assert states["PID-11"] is FieldState.PRESENT
    assert "PID-14" not in states  # not sent: what it maps to stays


def test_each_part_names_the_field_that_produced_it() -> None:
    result = map_lines(
        msh("ADT^A08"),
        pid(
            f3="MRN1^^^HOSP^MR",
            f11="1 MAIN ST^^SPRINGFIELD",
            f12="SANGAMON",
            f13="555-0100^PRN^PH",
            f14="555-0199^WPN^PH",
            f19="123-45-6789",
        ),
    )

    report = report_of(result, "Patient")
    assert report.owners["telecom"] == ["PID-13", "PID-14"]
    assert report.owners["identifier"] == ["PID-3", "PID-19"]
    assert report.attached == {"address": "SANGAMON"}


@pytest.mark.parametrize(
    ("segments", "sets"),
    [
        pytest.param(("NK1|1|DOE^JOHN|SPO",), ["NK1"], id="next-of-kin"),
        pytest.param((), [], id="none"),
    ],
)
def test_a_registration_lists_the_sets_it_carries(
    segments: tuple[str, ...], sets: list[str]
) -> None:
    result = map_lines(msh("ADT^A08"), "PID|1||MRN1^^^HOSP^MR||DOE^JANE", *segments)

    assert sorted(report_of(result, "Patient").sets) == sets


def test_a_create_only_patient_has_no_report() -> None:
    result = map_lines(
        msh("SIU^S12"),
        "SCH|A1|A1||||||||30|min",
        "PID|1||MRN1^^^HOSP^MR||DOE^JANE",
    )

    patient = next(m for m in result.resources if m.resource["resourceType"] == "Patient")
    assert patient.fields is None
