"""ADT visit events to Encounter (PV1/PV2): the status each event means, the visit number as
identifier, locations, practitioners; the patient part of every ADT event is applied."""

from __future__ import annotations

from typing import Any

import pytest

from mappers import MappingConfig, UnsupportedMessage
from mappers.result import Action, MappingResult
from mappers.vocabulary import Vocabulary
from tests.mappers.messages import action_of, map_lines, msh, of_type, only, validate_all

PID = "PID|1||MRN1^^^HOSP^MR||DOE^JANE||19800101|F"
# PV1: class I, location, prior location (6), attending (7), referring (8), visit
# number (19), admit time (44).
PV1 = (
    "PV1|1|I|WARD1^101^A^HOSP|E||ER^1^^HOSP|1234^WELBY^MARCUS^^^DR|5678^REF^LINDA|||||||||||"
    "V100^^^HOSP^VN|||||||||||||||||||||||||20240130080000"
)
DISCHARGED = PV1 + "|20240131100000"


def visit(event: str, *lines: str, config: MappingConfig | None = None) -> MappingResult:
    result = map_lines(msh(f"ADT^{event}"), f"EVN|{event}|20240131083000", *lines, config=config)
    validate_all(result)
    return result


@pytest.mark.parametrize(
    ("event", "status"),
    [
        pytest.param("A01", "in-progress", id="A01-admit"),
        pytest.param("A02", "in-progress", id="A02-transfer"),
        pytest.param("A03", "finished", id="A03-discharge"),
        pytest.param("A04", "arrived", id="A04-register"),
        pytest.param("A05", "planned", id="A05-preadmit"),
        pytest.param("A06", "in-progress", id="A06-out-to-in"),
        pytest.param("A07", "in-progress", id="A07-in-to-out"),
        pytest.param("A08", "in-progress", id="A08-update"),
        pytest.param("A11", "cancelled", id="A11-cancel-admit"),
        pytest.param("A12", "in-progress", id="A12-cancel-transfer"),
        pytest.param("A13", "in-progress", id="A13-cancel-discharge"),
        pytest.param("A16", "in-progress", id="A16-pending-discharge"),
        pytest.param("A17", "in-progress", id="A17-swap"),
        pytest.param("A21", "onleave", id="A21-leave"),
        pytest.param("A22", "in-progress", id="A22-return"),
        pytest.param("A25", "in-progress", id="A25-cancel-pending-discharge"),
        pytest.param("A26", "in-progress", id="A26-cancel-pending-transfer"),
        pytest.param("A27", "cancelled", id="A27-cancel-pending-admit"),
        pytest.param("A38", "cancelled", id="A38-cancel-preadmit"),
    ],
)
def test_each_visit_event_gives_its_encounter_status(event: str, status: str) -> None:
    result = visit(event, PID, PV1)

    encounter = only(result, "Encounter")
    patient = only(result, "Patient")
    assert encounter["status"] == status
    assert encounter["subject"] == {"reference": f"Patient/{patient['id']}"}
    assert encounter["identifier"][0]["value"] == "V100"
    assert encounter["identifier"][0]["type"]["coding"][0]["code"] == "VN"
    expected = Action.UPSERT if event in ("A01", "A04", "A05") else Action.UPDATE
    assert action_of(result, patient) is expected


def test_an_update_with_a_discharge_time_is_finished() -> None:
    assert only(visit("A08", PID, DISCHARGED), "Encounter")["status"] == "finished"


def test_the_encounter_carries_class_period_locations_and_practitioners() -> None:
    encounter = only(visit("A02", PID, PV1), "Encounter")

    assert encounter["class"] == {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        "code": "IMP",
    }
    assert encounter["period"] == {"start": "2024-01-30T08:00:00Z"}
    assert [(entry["status"], entry["location"]["display"]) for entry in encounter["location"]] == [
        ("completed", "HOSP / ER / 1"),
        ("active", "HOSP / WARD1 / 101 / A"),
    ]
    roles = [p["type"][0]["coding"][0]["code"] for p in encounter["participant"]]
    assert roles == ["ATND", "REF"]
    assert encounter["participant"][0]["individual"]["display"] == "MARCUS WELBY"


def test_a_discharge_ends_the_period_at_pv1_45_else_at_the_event() -> None:
    given = only(visit("A03", PID, DISCHARGED), "Encounter")
    implied = only(visit("A03", PID, PV1), "Encounter")

    assert given["period"]["end"] == "2024-01-31T10:00:00Z"
    assert implied["period"]["end"] == "2024-01-31T08:30:00Z"
    assert {entry["status"] for entry in given["location"]} == {"completed"}


def test_two_visits_in_a_swap_are_two_encounters() -> None:
    other_pid = "PID|1||MRN2^^^HOSP^MR||ROE^RICHARD"
    other_pv1 = PV1.replace("V100", "V200").replace("WARD1^101^A", "WARD2^202^B")

    result = visit("A17", PID, PV1, other_pid, other_pv1)

    encounters = of_type(result, "Encounter")
    patients = of_type(result, "Patient")
    assert [e["identifier"][0]["value"] for e in encounters] == ["V100", "V200"]
    assert [e["subject"]["reference"] for e in encounters] == [
        f"Patient/{p['id']}" for p in patients
    ]


def test_a_visit_without_a_visit_number_is_no_encounter_and_says_so() -> None:
    result = visit("A01", PID, "PV1|1|I|WARD1^101^A^HOSP")

    assert of_type(result, "Encounter") == []
    assert any("PV1-19" in w for w in result.warnings)
    assert "PV1" in result.unmapped


def test_admit_reason_comes_from_pv2_3() -> None:
    encounter = only(visit("A01", PID, PV1, "PV2|||R10.9^Abdominal pain^I10"), "Encounter")

    assert encounter["reasonCode"] == [
        {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/sid/icd-10-cm",
                    "code": "R10.9",
                    "display": "Abdominal pain",
                }
            ]
        }
    ]


def test_a_local_patient_class_goes_through_the_vocabulary() -> None:
    local = PV1.replace("PV1|1|I|", "PV1|1|INPT|")
    config = MappingConfig(vocabulary=Vocabulary({("APP", "HOSP", "0004"): {"INPT": "I"}}))

    kept = only(visit("A01", PID, local), "Encounter")
    mapped = only(visit("A01", PID, local, config=config), "Encounter")

    assert kept["class"] == {
        "system": "https://fhirport.dev/fhir/CodeSystem/v2-local/APP/HOSP/0004",
        "code": "INPT",
    }
    assert mapped["class"]["code"] == "IMP"


def _encounter_ids(result: MappingResult) -> list[str]:
    return [e["id"] for e in of_type(result, "Encounter")]


def test_the_encounter_id_comes_from_the_visit_number() -> None:
    first: Any = _encounter_ids(visit("A01", PID, PV1))
    again: Any = _encounter_ids(visit("A03", PID, DISCHARGED))

    assert first == again
    assert first[0].startswith("enc-")


@pytest.mark.parametrize("event", ["A09", "A10", "A14", "A29", "A60"])
def test_every_adt_event_with_a_pid_applies_its_patient_part(event: str) -> None:
    result = visit(event, PID, PV1, "AL1|1||DA^Penicillin")

    patient = only(result, "Patient")
    assert action_of(result, patient) is Action.UPDATE
    assert of_type(result, "Encounter") == []
    assert "PV1" in result.unmapped
    assert "AL1" in result.unmapped


def test_an_adt_event_without_a_pid_is_out_of_scope() -> None:
    with pytest.raises(UnsupportedMessage, match="ADT\\^A20"):
        map_lines(msh("ADT^A20"), "EVN|A20|20240131083000", "NPU|WARD1^101|C")
