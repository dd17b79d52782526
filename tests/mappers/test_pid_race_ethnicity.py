"""PID-10 (race) and PID-22 (ethnic group) -> the US Core race and ethnicity extensions.

The IG's PID sheet leaves both to the realm's extension (US: us-core-race,
us-core-ethnicity). Codes go through the sender's vocabulary (tables 0005 and 0189);
a code nothing maps is kept, in the sender's code system, as a ``detailed`` coding.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from mappers import MappingConfig
from mappers.fields import FieldState
from mappers.identity import deterministic_id
from mappers.vocabulary import Vocabulary
from server.hl7v2.ingest.service import Ingestor
from server.storage.port import Store
from tests.ingest.factories import service_on
from tests.mappers.messages import map_lines, msh, only, validate_all

RACE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
ETHNICITY = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"
CDC = "urn:oid:2.16.840.1.113883.6.238"
NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
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


def _omb(code: str, display: str, system: str = CDC) -> dict[str, Any]:
    coding = {"system": system, "code": code, "display": display}
    return {"url": "ombCategory", "valueCoding": coding}


def _detailed(system: str, code: str, display: str) -> dict[str, Any]:
    return {"url": "detailed", "valueCoding": {"system": system, "code": code, "display": display}}


@pytest.mark.parametrize(
    ("url", "value", "config", "codings", "text"),
    [
        pytest.param(
            RACE, "2106-3^White^CDCREC", None, [_omb("2106-3", "White")], "White",
            id="race-omb-category-cdcrec",
        ),
        pytest.param(
            RACE, "2054-5^^HL70005~2028-9^Asian^HL70005", None,
            [_omb("2054-5", "Black or African American"), _omb("2028-9", "Asian")],
            "Black or African American, Asian",
            id="race-two-categories-table-0005",
        ),
        pytest.param(
            RACE, "2131-1^Other Race", None, [_detailed(CDC, "2131-1", "Other Race")],
            "Other Race",
            id="race-table-code-not-an-omb-category",
        ),
        pytest.param(
            RACE, "2029-7^Asian Indian^CDCREC", None,
            [_detailed(CDC, "2029-7", "Asian Indian")], "Asian Indian",
            id="race-detailed-cdc-code",
        ),
        pytest.param(
            RACE, "W^Caucasian^L", RACE_MAP, [_omb("2106-3", "White")], "Caucasian",
            id="race-local-code-through-the-vocabulary",
        ),
        pytest.param(
            ETHNICITY, "H^Hispanic or Latino^HL70189", None,
            [_omb("2135-2", "Hispanic or Latino")], "Hispanic or Latino",
            id="ethnicity-table-0189-H",
        ),
        pytest.param(
            ETHNICITY, "N", None, [_omb("2186-5", "Not Hispanic or Latino")],
            "Not Hispanic or Latino",
            id="ethnicity-table-0189-N-without-text",
        ),
        pytest.param(
            ETHNICITY, "2186-5^Not Hispanic or Latino^CDCREC", None,
            [_omb("2186-5", "Not Hispanic or Latino")], "Not Hispanic or Latino",
            id="ethnicity-cdcrec-code",
        ),
        pytest.param(
            ETHNICITY, "U^Unknown^HL70189", None, [_omb("UNK", "Unknown", NULL_FLAVOR)],
            "Unknown",
            id="ethnicity-unknown",
        ),
        pytest.param(
            ETHNICITY, "HIS^Hispanic", RACE_MAP, [_omb("2135-2", "Hispanic or Latino")],
            "Hispanic",
            id="ethnicity-local-code-through-the-vocabulary",
        ),
    ],
)  # fmt: skip
def test_a_coded_field_becomes_its_us_core_extension(
    url: str,
    value: str,
    config: MappingConfig | None,
    codings: list[dict[str, Any]],
    text: str,
) -> None:
    field = "PID-10" if url == RACE else "PID-22"
    patient, result = _mapped(*_fields(url, value), config=config)

    assert _extension(patient, url) == [*codings, {"url": "text", "valueString": text}]
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

    assert _extension(patient, url) == [
        _detailed(f"{LOCAL}/{table}", code, text),
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


def _message(control_id: str, when: str, race: str = "", ethnicity: str = "") -> bytes:
    head = f"MSH|^~\\&|APP|HOSP|FHIRPORT|HOSP|{when}||ADT^A08^ADT_A01|{control_id}|P|2.5.1\r"
    return (head + _pid(race, ethnicity) + "\r").encode()


async def _urls(store: Store) -> list[str]:
    patient_id = deterministic_id("Patient", "urn:fhirport:id:hosp", "MRN1")
    stored = await store.read("Patient", patient_id)
    assert stored is not None
    assert stored.body is not None
    return [e["url"] for e in orjson.loads(stored.body).get("extension", ())]


@pytest.mark.anyio
async def test_an_update_keeps_replaces_or_deletes_race_by_its_field(store: Store) -> None:
    ingestor = Ingestor(service_on(store))
    await ingestor.ingest(_message("M1", "20240101", "2106-3^White^CDCREC", "N"))

    await ingestor.ingest(_message("M2", "20240102"))
    assert await _urls(store) == [RACE, ETHNICITY]
    await ingestor.ingest(_message("M3", "20240103", race='""'))
    assert await _urls(store) == [ETHNICITY]
    await ingestor.ingest(_message("M4", "20240104", race="2028-9^Asian^CDCREC", ethnicity='""'))
    assert await _urls(store) == [RACE]
