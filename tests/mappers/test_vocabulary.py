"""Per-sender vocabularies: local codes reach FHIR through the HL7 table's code, and a code
nothing maps is kept in the sender's own code system (never dropped) and reported."""

from __future__ import annotations

from typing import Any

import pytest

from mappers import MappingConfig
from mappers.vocabulary import ORIGINAL_CODE_URL, Vocabulary
from tests.mappers.messages import map_lines, msh, only, validate_all

LOCAL = "https://fhirport.dev/fhir/CodeSystem/v2-local"
SEX_MAP = MappingConfig(vocabulary=Vocabulary({("APP", "HOSP", "0001"): {"1": "M", "2": "F"}}))


def _pid(sex: str = "", marital: str = "", id_type: str = "MR") -> str:
    fields = ["PID", "1", "", f"MRN1^^^HOSP^{id_type}", "", "DOE^JANE", "", "19800101", sex]
    fields += [""] * 7 + [marital]
    return "|".join(fields)


def patient_of(*lines: str, config: MappingConfig | None = None) -> tuple[dict[str, Any], Any]:
    result = map_lines(msh("ADT^A04^ADT_A01"), *lines, config=config)
    validate_all(result)
    return only(result, "Patient"), result


@pytest.mark.parametrize(
    ("sex", "config", "gender"),
    [
        pytest.param("M", None, "male", id="table-code"),
        pytest.param("MALE", None, "male", id="MALE"),
        pytest.param("Female", None, "female", id="Female"),
        pytest.param("f", None, "female", id="lower-case-f"),
        pytest.param("1", SEX_MAP, "male", id="1-with-a-map"),
        pytest.param("2", SEX_MAP, "female", id="2-with-a-map"),
    ],
)
def test_sex_spellings_reach_the_gender(
    sex: str, config: MappingConfig | None, gender: str
) -> None:
    patient, result = patient_of(_pid(sex), config=config)

    assert patient["gender"] == gender
    assert "_gender" not in patient
    assert result.vocabulary_gaps == []


def test_a_number_is_never_guessed_and_kept_in_the_original_code_extension() -> None:
    patient, result = patient_of(_pid("1"))

    assert "gender" not in patient
    assert patient["_gender"] == {
        "extension": [
            {
                "url": ORIGINAL_CODE_URL,
                "valueCoding": {"system": f"{LOCAL}/APP/HOSP/0001", "code": "1"},
            }
        ]
    }
    assert result.vocabulary_gaps == [("0001", "1")]
    assert any("0001" in w and "'1'" in w for w in result.warnings)
    assert "PID-8" not in result.unmapped


def test_another_senders_map_does_not_apply() -> None:
    config = MappingConfig(vocabulary=Vocabulary({("OTHER", "HOSP", "0001"): {"1": "M"}}))

    patient, result = patient_of(_pid("1"), config=config)

    assert "gender" not in patient
    assert result.vocabulary_gaps == [("0001", "1")]


def test_a_map_for_any_application_of_a_facility_applies() -> None:
    config = MappingConfig(vocabulary=Vocabulary({("*", "HOSP", "0001"): {"1": "M"}}))

    patient, _ = patient_of(_pid("1"), config=config)

    assert patient["gender"] == "male"


def test_the_local_system_percent_encodes_the_sender() -> None:
    header = "MSH|^~\\&|MY APP|NORTH/CLINIC|FHIRPORT|HOSP|20240131083000||ADT^A04|M1|P|2.5.1"
    result = map_lines(header, _pid("9"))

    coding = only(result, "Patient")["_gender"]["extension"][0]["valueCoding"]
    assert coding["system"] == f"{LOCAL}/MY%20APP/NORTH%2FCLINIC/0001"


def test_an_unmapped_local_marital_status_is_kept_as_a_local_coding() -> None:
    patient, result = patient_of(_pid("F", marital="MAR"))

    assert patient["maritalStatus"] == {
        "coding": [{"system": f"{LOCAL}/APP/HOSP/0002", "code": "MAR"}]
    }
    assert result.vocabulary_gaps == [("0002", "MAR")]


def test_a_mapped_local_marital_status_gets_the_igs_coding_and_keeps_the_original() -> None:
    config = MappingConfig(vocabulary=Vocabulary({("APP", "HOSP", "0002"): {"MAR": "M"}}))

    patient, result = patient_of(_pid("F", marital="MAR"), config=config)

    assert patient["maritalStatus"]["coding"] == [
        {
            "system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
            "code": "M",
            "display": "Married",
        },
        {"system": f"{LOCAL}/APP/HOSP/0002", "code": "MAR"},
    ]
    assert result.vocabulary_gaps == []


def test_a_local_identifier_type_is_kept_and_a_mapped_one_is_typed() -> None:
    unmapped, result = patient_of(_pid("F", id_type="MRN"))
    config = MappingConfig(vocabulary=Vocabulary({("APP", "HOSP", "0203"): {"MRN": "MR"}}))
    mapped, _ = patient_of(_pid("F", id_type="MRN"), config=config)

    assert unmapped["identifier"][0]["type"] == {
        "coding": [{"system": f"{LOCAL}/APP/HOSP/0203", "code": "MRN"}]
    }
    assert result.vocabulary_gaps == [("0203", "MRN")]
    assert mapped["identifier"][0]["type"]["coding"][0]["code"] == "MR"
    assert mapped["identifier"][0]["type"]["coding"][1] == {
        "system": f"{LOCAL}/APP/HOSP/0203",
        "code": "MRN",
    }


SCH = "SCH|A1^APP||||||||||^^^20240201090000^20240201093000||||||||||||||{status}"
PID = "PID|1||MRN1^^^HOSP^MR||DOE^JANE"


def test_a_local_filler_status_is_mapped_or_kept_beside_the_status() -> None:
    kept = map_lines(msh("SIU^S12"), SCH.format(status="CONF"), PID)
    config = MappingConfig(vocabulary=Vocabulary({("APP", "HOSP", "0278"): {"CONF": "Booked"}}))
    mapped = map_lines(msh("SIU^S14"), SCH.format(status="CONF"), PID, config=config)
    validate_all(kept)

    appointment = only(kept, "Appointment")
    assert appointment["status"] == "booked"
    assert appointment["_status"]["extension"][0]["valueCoding"] == {
        "system": f"{LOCAL}/APP/HOSP/0278",
        "code": "CONF",
    }
    assert kept.vocabulary_gaps == [("0278", "CONF")]
    assert only(mapped, "Appointment")["status"] == "booked"
    assert "_status" not in only(mapped, "Appointment")
    assert mapped.vocabulary_gaps == []


def _in1(relationship: str, sex: str) -> str:
    fields = ["IN1", "1", "GOLD", "ACME01^^^PAYERS^NIIP", "ACME HEALTH"] + [""] * 39
    fields[16], fields[17], fields[43] = "DOE^JOHN", relationship, sex
    return "|".join(fields)


def test_the_insured_goes_through_the_vocabulary_too() -> None:
    config = MappingConfig(
        vocabulary=Vocabulary(
            {("APP", "HOSP", "0001"): {"1": "M"}, ("APP", "HOSP", "0063"): {"S": "SEL", "H": "SPO"}}
        )
    )

    self_insured = map_lines(msh("ADT^A04"), _pid("F"), _in1("S", ""), config=config)
    spouse = map_lines(msh("ADT^A04"), _pid("F"), _in1("H", "1"), config=config)
    unmapped = map_lines(msh("ADT^A04"), _pid("F"), _in1("H", "1"))

    patient_ref = {"reference": f"Patient/{only(self_insured, 'Patient')['id']}"}
    assert only(self_insured, "Coverage")["subscriber"] == patient_ref
    assert only(spouse, "RelatedPerson")["gender"] == "male"
    kept = only(unmapped, "RelatedPerson")
    assert "gender" not in kept
    assert kept["_gender"]["extension"][0]["valueCoding"]["code"] == "1"
