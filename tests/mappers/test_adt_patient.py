"""ADT -> Patient, RelatedPerson, Coverage: golden values from a hand-written A04."""

from __future__ import annotations

import pytest

from mappers import Action, MappingConfig, MappingError
from mappers.identity import deterministic_id
from tests.mappers.messages import (
    action_of,
    by_reference,
    map_lines,
    msh,
    of_type,
    only,
    seg,
    validate_all,
)

PID = (
    "PID|1||MRN12345^^^HOSP^MR~123-45-6789^^^USSSA^SS||DOE^JANE^Q^JR^MS^^L~SMITH^JANE^^^^^M"
    "|KING|19800101|F|||123 MAIN ST^APT 4^SPRINGFIELD^IL^62701^USA^H||"
    "(217)555-0101^PRN^PH~^NET^Internet^jane@example.org|(217)555-0199^^PH"
    "|eng^English^HL70296|M^Married^HL70002||ACC-9|123-45-6789||||||||||20240115101500+0100"
)
NK1 = "NK1|1|DOE^JOHN|SPO^Spouse^HL70063|123 MAIN ST^^SPRINGFIELD^IL^62701|(217)555-0102^PRN^PH"
IN1 = seg(
    "IN1",
    {
        1: "1",
        2: "GOLD^Gold Plan",
        3: "ACME01^^^PAYERS^NIIP",
        4: "ACME HEALTH",
        5: "PO BOX 1^^CHICAGO^IL^60601",
        7: "(800)555-0000^WPN^PH",
        8: "GRP-778",
        9: "ACME EMPLOYER GROUP",
        12: "20240101",
        13: "20241231",
        15: "HMO^HMO^HL70086",
        16: "DOE^JOHN",
        17: "SPO^Spouse^HL70063",
        18: "19790505",
        19: "123 MAIN ST^^SPRINGFIELD^IL^62701",
        36: "POL-1",
        43: "M",
        49: "MEM-0001^^^ACME^MB",
    },
)
A04 = (msh("ADT^A04^ADT_A01"), "EVN|A04|20240131082900-0500", PID, NK1, "PV1|1|O", IN1)


def test_patient_golden_values() -> None:
    result = map_lines(*A04)
    validate_all(result)
    patient = only(result, "Patient")
    mrn, ssn = patient["identifier"]  # the SSN in PID-3 and in PID-19 is kept once
    assert mrn == {
        "value": "MRN12345",
        "system": "urn:fhirport:id:hosp",
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                    "code": "MR",
                    "display": "Medical record number",
                }
            ]
        },
    }
    assert ssn["system"] == "http://hl7.org/fhir/sid/us-ssn"
    assert patient["id"] == deterministic_id("Patient", "urn:fhirport:id:hosp", "MRN12345")
    assert patient["name"] == [
        {
            "family": "DOE",
            "given": ["JANE", "Q"],
            "suffix": ["JR"],
            "prefix": ["MS"],
            "use": "official",
        },
        {"family": "SMITH", "given": ["JANE"], "use": "maiden"},
    ]
    assert patient["extension"] == [
        {
            "url": "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName",
            "valueString": "KING",
        }
    ]
    assert patient["gender"] == "female"
    assert patient["birthDate"] == "1980-01-01"
    assert patient["address"] == [
        {
            "line": ["123 MAIN ST", "APT 4"],
            "city": "SPRINGFIELD",
            "state": "IL",
            "postalCode": "62701",
            "country": "USA",
            "use": "home",
        }
    ]
    assert patient["telecom"] == [
        {"system": "phone", "value": "(217)555-0101", "use": "home"},
        {"system": "email", "value": "jane@example.org", "use": "home"},
        {"system": "phone", "value": "(217)555-0199", "use": "work"},
    ]
    assert patient["maritalStatus"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
        "code": "M",
        "display": "Married",
    }
    assert patient["communication"][0]["language"]["coding"][0]["code"] == "eng"
    assert patient["deceasedDateTime"] == "2024-01-15T10:15:00+01:00"
    assert action_of(result, patient) is Action.UPSERT


def test_account_number_and_unknown_segments_are_listed_as_unmapped() -> None:
    result = map_lines(*A04, "ZPI|1|VIP-FLAG")
    assert "PID-18" in result.unmapped
    assert "ZPI" in result.unmapped
    assert "PV1" in result.unmapped
    assert "PID-5" not in result.unmapped


def test_next_of_kin_becomes_related_person() -> None:
    result = map_lines(*A04)
    patient = only(result, "Patient")
    spouse = next(r for r in of_type(result, "RelatedPerson") if r["name"][0]["given"] == ["JOHN"])
    assert spouse["patient"] == {"reference": f"Patient/{patient['id']}"}
    assert spouse["relationship"][0]["coding"][0]["code"] == "SPS"
    assert spouse["telecom"] == [{"system": "phone", "value": "(217)555-0102", "use": "home"}]
    assert action_of(result, spouse) is Action.UPSERT


def test_coverage_golden_values() -> None:
    result = map_lines(*A04)
    coverage = only(result, "Coverage")
    payor = by_reference(result, coverage["payor"][0]["reference"])
    assert payor["name"] == "ACME HEALTH"
    assert payor["identifier"][0]["value"] == "ACME01"
    assert payor["telecom"] == [{"system": "phone", "value": "(800)555-0000", "use": "work"}]
    assert action_of(result, payor) is Action.CREATE_ONLY
    assert coverage["status"] == "active"
    assert coverage["period"] == {"start": "2024-01-01", "end": "2024-12-31"}
    assert coverage["subscriberId"] == "MEM-0001"
    assert [i["value"] for i in coverage["identifier"]] == ["MEM-0001", "POL-1"]
    assert [(c["type"]["coding"][0]["code"], c["value"]) for c in coverage["class"]] == [
        ("plan", "GOLD"),
        ("group", "GRP-778"),
    ]
    assert coverage["type"]["coding"][0]["code"] == "HMO"
    assert coverage["relationship"]["coding"][0]["code"] == "SPS"
    assert coverage["id"] == deterministic_id("Coverage", payor["id"], "MEM-0001")
    # The insured spouse is the NK1 spouse: one RelatedPerson, NK1's (upserted) version.
    subscriber = by_reference(result, coverage["subscriber"]["reference"])
    assert subscriber["telecom"][0]["value"] == "(217)555-0102"
    assert len(of_type(result, "RelatedPerson")) == 1


def test_insured_not_named_in_nk1_becomes_a_create_only_related_person() -> None:
    result = map_lines(A04[0], A04[1], PID, IN1)
    coverage = only(result, "Coverage")
    subscriber = by_reference(result, coverage["subscriber"]["reference"])
    assert subscriber["resourceType"] == "RelatedPerson"
    assert subscriber["name"] == [{"family": "DOE", "given": ["JOHN"]}]
    assert subscriber["birthDate"] == "1979-05-05"
    assert subscriber["gender"] == "male"
    assert subscriber["address"][0]["city"] == "SPRINGFIELD"
    assert action_of(result, subscriber) is Action.CREATE_ONLY


def test_self_insured_patient_is_the_subscriber() -> None:
    lines = [*A04[:-1], IN1.replace("SPO^Spouse^HL70063", "SEL^Self^HL70063")]
    result = map_lines(*lines)
    coverage = only(result, "Coverage")
    assert coverage["subscriber"] == coverage["beneficiary"]


def test_ids_do_not_depend_on_the_message() -> None:
    first = map_lines(*A04)
    again = map_lines(msh("ADT^A08^ADT_A01", control_id="OTHER"), *A04[1:])
    assert [m.resource["id"] for m in first.resources] == [
        m.resource["id"] for m in again.resources
    ]


def test_updates_expect_the_patient_on_file_and_registrations_do_not() -> None:
    def patient_action(event: str) -> Action:
        result = map_lines(msh(f"ADT^{event}^ADT_A01"), *A04[1:])
        return next(m.action for m in result.resources if m.resource["resourceType"] == "Patient")

    assert [patient_action(e) for e in ("A04", "A01", "A28", "A08", "A31")] == [
        Action.UPSERT,
        Action.UPSERT,
        Action.UPSERT,
        Action.UPDATE,
        Action.UPDATE,
    ]


def test_configured_authority_gives_the_identifier_system() -> None:
    config = MappingConfig(authority_systems={"HOSP": "https://hosp.example.org/mrn"})
    patient = only(map_lines(*A04, config=config), "Patient")
    assert patient["identifier"][0]["system"] == "https://hosp.example.org/mrn"


def test_event_time_comes_from_evn_2_then_msh_7() -> None:
    with_evn = map_lines(*A04)
    assert with_evn.event_time == "2024-01-31T08:29:00-05:00"
    assert with_evn.event_epoch_us == 1706707740 * 1_000_000
    without_evn = map_lines(A04[0], *A04[2:])
    assert without_evn.event_time == "2024-01-31T08:30:00-05:00"


@pytest.mark.parametrize(
    ("pd1_or_arv", "labels"),
    [
        pytest.param("PD1||||||||||||Y", [("v3-Confidentiality", "R")], id="pd1-12-protected"),
        pytest.param("PD1||||||||||||N", [], id="pd1-12-not-protected"),
        pytest.param(
            "ARV|1|A|DEM^Demographics^HL70717",
            [("v3-Confidentiality", "R"), ("v2-0717", "DEM")],
            id="arv-adds-restriction",
        ),
        pytest.param("ARV|1|D|DEM", [], id="arv-deletes-restriction"),
    ],
)
def test_privacy_flags_become_security_labels(
    pd1_or_arv: str, labels: list[tuple[str, str]]
) -> None:
    result = map_lines(A04[0], A04[1], PID, pd1_or_arv, "PV1|1|O", "ARV|1|A|LOC")
    validate_all(result)
    patient = only(result, "Patient")
    found = [
        (label["system"].rsplit("/", 1)[-1], label["code"])
        for label in patient.get("meta", {}).get("security", [])
    ]
    assert found == labels  # the ARV after PV1 restricts the visit, not the patient


def test_message_without_pid_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match="PID"):
        map_lines(msh("ADT^A04"), "EVN|A04|20240131")


def test_pid_without_identifier_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match="PID-3") as raised:
        map_lines(msh("ADT^A04"), "PID|1||||DOE^JANE")
    assert raised.value.location == "PID^1^3"


@pytest.mark.parametrize(
    ("fields", "element", "expected"),
    [
        pytest.param({24: "Y", 25: "2"}, "multipleBirthInteger", 2, id="birth-order"),
        pytest.param({24: "Y"}, "multipleBirthBoolean", True, id="multiple-birth-flag"),
        pytest.param({30: "Y"}, "deceasedBoolean", True, id="deceased-flag"),
        pytest.param({29: "20240101", 30: "Y"}, "deceasedDateTime", "2024-01-01", id="death-date"),
        pytest.param({12: "COOK"}, "address", [{"district": "COOK"}], id="county-alone"),
        pytest.param(
            {26: "US^United States^ISO3166_1"},
            "extension",
            [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/patient-citizenship",
                    "extension": [
                        {
                            "url": "code",
                            "valueCodeableConcept": {
                                "coding": [
                                    {
                                        "system": "urn:iso:std:iso:3166",
                                        "code": "US",
                                        "display": "United States",
                                    }
                                ]
                            },
                        }
                    ],
                }
            ],
            id="citizenship",
        ),
        pytest.param(
            {7: "198001011230"},
            "_birthDate",
            {
                "extension": [
                    {
                        "url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime",
                        "valueDateTime": "1980-01-01T12:30:00Z",
                    }
                ]
            },
            id="birth-time",
        ),
    ],
)
def test_conditional_pid_fields(fields: dict[int, str], element: str, expected: object) -> None:
    pid = seg("PID", {1: "1", 3: "MRN1^^^HOSP^MR", 5: "DOE^JANE", **fields})
    result = map_lines(msh("ADT^A28^ADT_A05"), pid)
    validate_all(result)
    patient = only(result, "Patient")
    assert patient[element] == expected


def test_pd1_primary_care_and_congregation() -> None:
    pd1 = seg("PD1", {3: "GOOD CLINIC^^123", 4: "77^HOUSE^GREG", 14: "St. Mary"})
    result = map_lines(msh("ADT^A31^ADT_A05"), "PID|1||MRN1^^^HOSP^MR||DOE", pd1)
    validate_all(result)
    patient = only(result, "Patient")
    clinic, doctor = (by_reference(result, r["reference"]) for r in patient["generalPractitioner"])
    assert (clinic["resourceType"], clinic["name"]) == ("Organization", "GOOD CLINIC")
    assert (doctor["resourceType"], doctor["name"][0]["family"]) == ("Practitioner", "HOUSE")
    assert patient["extension"] == [
        {
            "url": "http://hl7.org/fhir/StructureDefinition/patient-congregation",
            "valueString": "St. Mary",
        }
    ]


def test_in2_belongs_to_the_in1_just_before_it() -> None:
    second = seg("IN1", {1: "2", 3: "OTHER^^^PAYERS", 4: "OTHER PAYER", 49: "M-2"})
    result = map_lines(A04[0], PID, IN1, second, "IN2||||||MCR-77")
    first_coverage, second_coverage = of_type(result, "Coverage")
    assert [i["value"] for i in first_coverage["identifier"]] == ["MEM-0001", "POL-1"]
    assert [i["value"] for i in second_coverage["identifier"]] == ["M-2", "MCR-77"]
    assert (first_coverage["order"], second_coverage["order"]) == (1, 2)


def test_in1_without_payor_is_listed_whole() -> None:
    result = map_lines(A04[0], PID, "IN1|1|PAR^PARENT||||LUIGI")
    assert of_type(result, "Coverage") == []
    assert "IN1" in result.unmapped
    assert result.warnings == ["IN1 names no insurance company (IN1-3, IN1-4); Coverage not mapped"]
