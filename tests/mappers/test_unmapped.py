"""Nothing is lost silently: unused segments, fields and components are listed."""

from __future__ import annotations

import pytest

from mappers import MappingConfig
from tests.mappers.messages import map_lines, msh, only, seg


def patient_with(fields: dict[int, str]) -> tuple[dict[str, object], list[str], list[str]]:
    result = map_lines(msh("ADT^A08^ADT_A01"), seg("PID", {1: "1", 3: "MRN1^^^HOSP^MR", **fields}))
    return only(result, "Patient"), result.unmapped, result.warnings


@pytest.mark.parametrize(
    ("fields", "unmapped"),
    [
        pytest.param({3: "MRN1^7^M10^HOSP^MR"}, ["PID-3.2", "PID-3.3"], id="cx-check-digit"),
        pytest.param({21: "M123^^^HOSP^MR"}, ["PID-21"], id="mothers-identifier-field"),
        pytest.param(
            {10: "2106-3^White^CDCREC^W^White^L"},
            ["PID-10.4", "PID-10.5", "PID-10.6"],
            id="race-alternate-code",
        ),
        pytest.param({5: "DOE^JANE^^^^^L^^^^^^^^NICK"}, ["PID-5.15"], id="xpn-called-by"),
        pytest.param({8: "Q^Queer code"}, [], id="unknown-gender-code-kept-in-an-extension"),
        pytest.param({8: "F^Female^HL70001"}, [], id="gender-text-restates-code"),
        pytest.param({11: '""'}, [], id="explicit-null-is-not-data"),
    ],
)
def test_fields_and_components_not_mapped_are_listed(
    fields: dict[int, str], unmapped: list[str]
) -> None:
    _, found, _ = patient_with(fields)
    assert found == unmapped


def test_explicit_nulls_leave_elements_out() -> None:
    patient, unmapped, warnings = patient_with({5: '""', 7: '""', 8: '""', 11: '""', 13: '""'})
    assert set(patient) == {"resourceType", "id", "identifier"}
    assert (unmapped, warnings) == ([], [])


def test_z_segments_and_unused_segments_are_listed_once() -> None:
    result = map_lines(
        msh("ADT^A04"), "PID|1||MRN1^^^HOSP^MR", "ZPI|1|x", "ZPI|2|y", "OBX|1|ST|x||y", "AL1|1"
    )
    assert result.unmapped == ["ZPI", "OBX", "AL1"]


def test_unknown_gender_is_warned_about() -> None:
    _, _, warnings = patient_with({8: "Q"})
    assert warnings == [
        "HL7 table 0001: code 'Q' of APP|HOSP is not a table code and no vocabulary maps it; "
        "kept as https://fhirport.dev/fhir/CodeSystem/v2-local/APP/HOSP/0001"
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("20241301", None, id="bad-month"),
        pytest.param("19800101", "1980-01-01", id="date"),
    ],
)
def test_birth_date_values(field: str, value: str | None) -> None:
    patient, _, _ = patient_with({7: field})
    assert patient.get("birthDate") == value


def test_site_timezone_applies_to_times_without_offset() -> None:
    config = MappingConfig(timezone="Europe/Paris")
    result = map_lines(
        msh("ADT^A04", when="20240701120000"), "PID|1||MRN1^^^HOSP^MR", config=config
    )
    assert result.event_time == "2024-07-01T12:00:00+02:00"
    assert result.event_epoch_us == 1719828000 * 1_000_000
