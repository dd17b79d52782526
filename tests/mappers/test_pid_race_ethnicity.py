"""PID-10 (race) and PID-22 (ethnic group) -> the US Core race and ethnicity extensions.

The IG's PID sheet leaves both to the realm's extension (US: us-core-race,
us-core-ethnicity). Codes go through the sender's vocabulary (tables 0005 and 0189);
a code nothing maps is kept, in the sender's code system, as a ``detailed`` coding.
"""

from __future__ import annotations

from typing import Any

import pytest

from mappers import MappingConfig
from mappers.fields import FieldState
from mappers.vocabulary import Vocabulary
from tests.mappers.messages import map_lines, msh, only, validate_all

RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
ETHNICITY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
CDC = "urn:oid:2.16.840.1.113883.6.238"
LOCAL = "https://fhirport.dev/fhir/CodeSystem/v2-local/APP/HOSP"
RACE_MAP = MappingConfig(
    vocabulary=Vocabulary(
        {("APP", "HOSP", "0005"): {"W": "2106-3"}, ("APP", "HOSP", "0189"): {"HIS": "H"}}
    )
)


def _pid(race: str = "", ethnicity: str = "") -> str:
    fields = ["PID", "1", "", "MRN1^^^HOSP^MR", "", "DOE^JANE", "", "19800101", "F"]
    fields += ["", race] + [""] * 11 + [ethnicity]
    return "|".join(fields)


def _mapped(race: str = "", ethnicity: str = "", config: MappingConfig | None = None) -> Any:
    result = map_lines(msh("ADT^A04^ADT_A01"), _pid(race, ethnicity), config=config)
    validate_all(result)
    return only(result, "Patient"), result


def _fields(url: str, value: str) -> tuple[str, str]:
    """PID-10 and PID-22, with ``value`` in the one the extension ``url`` comes from."""
    return (value, "") if url == RACE else ("", value)


def _extension(patient: dict[str, Any], url: str) -> list[dict[str, Any]]:
    found = [e for e in patient.get("extension", ()) if e["url"] == url]
    assert len(found) == 1, patient.get("extension")
    parts: list[dict[str, Any]] = found[0]["extension"]
    return parts


def _omb(code: str, display: str) -> dict[str, Any]:
    return {"url": "ombCategory", "valueCoding": {"system": CDC, "code": code, "display": display}}


@pytest.mark.parametrize(
    ("url", "value", "config", "expected"),
    [
        pytest.param(
            RACE,
            "2106-3^White^CDCREC",
            None,
            [_omb("2106-3", "White"), {"url": "text", "valueString": "White"}],
            id="race-omb-category-cdcrec",
        ),
        pytest.param(
            RACE,
            "2054-5^^HL70005~2028-9^Asian^HL70005",
            None,
            [
                _omb("2054-5", "Black or African American"),
                _omb("2028-9", "Asian"),
                {"url": "text", "valueString": "Black or African American, Asian"},
            ],
            id="race-two-categories-table-0005",
        ),
        pytest.param(
            RACE,
            "2131-1^Other Race",
            None,
            [
                {
                    "url": "detailed",
                    "valueCoding": {"system": CDC, "code": "2131-1", "display": "Other Race"},
                },
                {"url": "text", "valueString": "Other Race"},
            ],
            id="race-table-code-not-an-omb-category",
        ),
        pytest.param(
            RACE,
            "2029-7^Asian Indian^CDCREC",
            None,
            [
                {
                    "url": "detailed",
                    "valueCoding": {"system": CDC, "code": "2029-7", "display": "Asian Indian"},
                },
                {"url": "text", "valueString": "Asian Indian"},
            ],
            id="race-detailed-cdc-code",
        ),
        pytest.param(
            RACE,
            "W^Caucasian^L",
            RACE_MAP,
            [_omb("2106-3", "White"), {"url": "text", "valueString": "Caucasian"}],
            id="race-local-code-through-the-vocabulary",
        ),
        pytest.param(
            ETHNICITY,
            "H^Hispanic or Latino^HL70189",
            None,
            [
                _omb("2135-2", "Hispanic or Latino"),
                {"url": "text", "valueString": "Hispanic or Latino"},
            ],
            id="ethnicity-table-0189-H",
        ),
        pytest.param(
            ETHNICITY,
            "N",
            None,
            [
                _omb("2186-5", "Not Hispanic or Latino"),
                {"url": "text", "valueString": "Not Hispanic or Latino"},
            ],
            id="ethnicity-table-0189-N-without-text",
        ),
        pytest.param(
            ETHNICITY,
            "2186-5^Not Hispanic or Latino^CDCREC",
            None,
            [
                _omb("2186-5", "Not Hispanic or Latino"),
                {"url": "text", "valueString": "Not Hispanic or Latino"},
            ],
            id="ethnicity-cdcrec-code",
        ),
        pytest.param(
            ETHNICITY,
            "U^Unknown^HL70189",
            None,
            [
                {
                    "url": "ombCategory",
                    "valueCoding": {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-NullFlavor",
                        "code": "UNK",
                        "display": "Unknown",
                    },
                },
                {"url": "text", "valueString": "Unknown"},
            ],
            id="ethnicity-unknown",
        ),
        pytest.param(
            ETHNICITY,
            "HIS^Hispanic",
            RACE_MAP,
            [_omb("2135-2", "Hispanic or Latino"), {"url": "text", "valueString": "Hispanic"}],
            id="ethnicity-local-code-through-the-vocabulary",
        ),
    ],
)
def test_a_coded_field_becomes_its_us_core_extension(
    url: str, value: str, config: MappingConfig | None, expected: list[dict[str, Any]]
) -> None:
    field = "PID-10" if url == RACE else "PID-22"
    patient, result = _mapped(*_fields(url, value), config=config)

    assert _extension(patient, url) == expected
    assert field not in result.unmapped
    assert result.vocabulary_gaps == []


@pytest.mark.parametrize(
    ("url", "table", "code", "text"),
    [
        pytest.param(RACE, "0005", "W", "Caucasian", id="race"),
        pytest.param(ETHNICITY, "0189", "9", "Declined", id="ethnicity"),
    ],
)
def test_an_unmapped_local_code_is_kept_in_the_senders_system_and_reported(
    url: str, table: str, code: str, text: str
) -> None:
    patient, result = _mapped(*_fields(url, f"{code}^{text}"))

    local = {"system": f"{LOCAL}/{table}", "code": code, "display": text}
    assert _extension(patient, url) == [
        {"url": "detailed", "valueCoding": local},
        {"url": "text", "valueString": text},
    ]
    assert result.vocabulary_gaps == [(table, code)]


def test_race_and_ethnicity_are_owned_by_their_fields() -> None:
    patient, result = _mapped(race="2106-3^White^CDCREC", ethnicity="N")
    report = result.resources[0].fields
    assert report is not None

    assert report.states["PID-10"] is FieldState.PRESENT
    assert report.states["PID-22"] is FieldState.PRESENT
    urls = [e["url"] for e in patient["extension"]]
    assert report.owners["extension"] == [
        {RACE: "PID-10", ETHNICITY: "PID-22"}.get(url) for url in urls
    ]
    assert {"PID-10", "PID-22"} <= set(report.feeds["extension"].fields)


def test_null_race_and_ethnicity_delete_and_map_to_nothing() -> None:
    patient, result = _mapped(race='""', ethnicity='""')
    report = result.resources[0].fields
    assert report is not None

    assert "extension" not in patient
    assert report.states["PID-10"] is FieldState.NULL
    assert report.states["PID-22"] is FieldState.NULL
