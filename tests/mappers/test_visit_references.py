"""What points at a visit: a DFT's Claim items reference their Encounter by visit number;
an SIU's Appointment gives its reasons (DG1, else the service asked for in AIS) and why it
was cancelled (SCH-6)."""

from __future__ import annotations

from mappers import Action
from tests.mappers.messages import action_of, map_lines, only, seg, validate_all
from tests.mappers.test_adt_visit import PID as ADT_PID
from tests.mappers.test_adt_visit import PV1 as ADT_PV1
from tests.mappers.test_adt_visit import visit
from tests.mappers.test_dft_claim import dft
from tests.mappers.test_siu_appointment import SCH, siu

VISIT_PV1 = seg("PV1", {1: "1", 2: "O", 3: "CLINIC^101^^MAIN HOSPITAL", 19: "V100^^^HOSP^VN"})


def test_claim_items_reference_the_encounter_of_the_visit_number() -> None:
    lines = dft()
    lines[3] = VISIT_PV1

    result = map_lines(*lines)
    validate_all(result)

    encounter = only(result, "Encounter")
    claim = only(result, "Claim")
    assert [item["encounter"] for item in claim["item"]] == [
        [{"reference": f"Encounter/{encounter['id']}"}]
    ] * 2
    assert action_of(result, encounter) is Action.CREATE_ONLY
    # The same visit as the ADT messages': one Encounter.
    assert encounter["id"] == only(visit("A01", ADT_PID, ADT_PV1), "Encounter")["id"]
    assert "PV1-19" not in result.unmapped


def test_a_claim_without_a_visit_number_references_no_encounter() -> None:
    result = map_lines(*dft())

    assert all("encounter" not in item for item in only(result, "Claim")["item"])
    assert not [m for m in result.resources if m.resource["resourceType"] == "Encounter"]


DG1 = "DG1|1||R07.9^Chest pain, unspecified^I10||20240205|A"


def test_appointment_reasons_come_from_dg1() -> None:
    sch = SCH.replace("|FOLLOWUP^Follow-up visit^HL70276|", "||")
    result = map_lines(*siu("S12", sch), DG1)
    validate_all(result)

    assert only(result, "Appointment")["reasonCode"] == [
        {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/sid/icd-10-cm",
                    "code": "R07.9",
                    "display": "Chest pain, unspecified",
                }
            ]
        }
    ]
    assert "DG1" not in result.unmapped


def test_without_sch_7_or_dg1_the_service_asked_for_is_the_reason() -> None:
    sch = SCH.replace("|FOLLOWUP^Follow-up visit^HL70276|", "||")

    appointment = only(map_lines(*siu("S12", sch)), "Appointment")

    assert appointment["reasonCode"] == appointment["serviceType"]


def test_a_cancellation_gives_its_reason_from_sch_6() -> None:
    reason = "|FL-200^CLINIC||||PAT^Patient request^HL70276|FOLLOWUP"
    sch = SCH.replace("|FL-200^CLINIC|||||FOLLOWUP", reason)
    result = map_lines(*siu("S15", sch))
    validate_all(result)

    appointment = only(result, "Appointment")
    assert appointment["status"] == "cancelled"
    assert appointment["cancelationReason"]["coding"][0]["code"] == "PAT"
    assert "SCH-6" not in result.unmapped
