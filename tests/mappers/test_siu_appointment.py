"""SIU -> Appointment: status per event, participants, times, deterministic ids."""

from __future__ import annotations

import pytest

from mappers import Action, MappingError
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

SCH = seg(
    "SCH",
    {
        1: "PL-100^SCHED",
        2: "FL-200^CLINIC",
        7: "FOLLOWUP^Follow-up visit^HL70276",
        8: "NORMAL^Routine^HL70277",
        9: "30",
        10: "min",
        12: "555^PLACER^PAT^^^DR^^^NPI",
        25: "Booked",
    },
)
PID = "PID|1||MRN12345^^^HOSP^MR||DOE^JANE||19800101|F"
AIS = "AIS|1|A|99213^Office visit^C4|20240210093000-0500|||30|min"
AIL = "AIL|1|A|CLINIC^101^^MAIN HOSPITAL|C^Clinic^HL70305|20240210093000-0500|||30|min"
AIP = "AIP|1|A|1234^SMITH^JOHN^^^DR^^^NPI|D^Doctor|20240210093000-0500|||30|min"


def siu(event: str, sch: str = SCH) -> list[str]:
    return [msh(f"SIU^{event}^SIU_S12"), sch, PID, "RGS|1|A", AIS, AIL, AIP, "NTE|1||Bring films"]


def test_booked_appointment_golden_values() -> None:
    result = map_lines(*siu("S12"))
    validate_all(result)
    appointment = only(result, "Appointment")
    assert appointment["status"] == "booked"
    assert appointment["id"] == deterministic_id("Appointment", "urn:fhirport:id:sched", "PL-100")
    assert [i["type"]["coding"][0]["code"] for i in appointment["identifier"]] == ["PLAC", "FILL"]
    assert appointment["start"] == "2024-02-10T09:30:00-05:00"
    assert appointment["end"] == "2024-02-10T10:00:00-05:00"
    assert appointment["minutesDuration"] == 30
    assert appointment["reasonCode"][0]["coding"][0]["code"] == "FOLLOWUP"
    assert appointment["appointmentType"]["coding"][0]["code"] == "NORMAL"
    assert appointment["serviceType"][0]["coding"][0] == {
        "system": "http://www.ama-assn.org/go/cpt",
        "code": "99213",
        "display": "Office visit",
    }
    assert appointment["comment"] == "Bring films"
    actors = [p["actor"]["reference"].split("/")[0] for p in appointment["participant"]]
    assert actors == ["Patient", "Practitioner", "Location", "Practitioner"]
    assert {p["status"] for p in appointment["participant"]} == {"accepted"}
    location = by_reference(result, appointment["participant"][2]["actor"]["reference"])
    assert location["name"] == "MAIN HOSPITAL / CLINIC / 101"
    assert location["physicalType"]["coding"][0]["code"] == "ro"
    doctor = by_reference(result, appointment["participant"][3]["actor"]["reference"])
    assert doctor["identifier"] == [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234"}]
    assert action_of(result, doctor) is Action.CREATE_ONLY
    assert action_of(result, only(result, "Patient")) is Action.CREATE_ONLY


@pytest.mark.parametrize(
    ("event", "status", "action"),
    [
        pytest.param("S12", "booked", Action.UPSERT, id="S12-book"),
        pytest.param("S13", "booked", Action.UPSERT, id="S13-reschedule"),
        pytest.param("S14", "booked", Action.UPSERT, id="S14-modify"),
        pytest.param("S15", "cancelled", Action.UPSERT, id="S15-cancel"),
        pytest.param("S16", "cancelled", Action.UPSERT, id="S16-discontinue"),
        pytest.param("S17", "entered-in-error", Action.DELETE, id="S17-delete"),
        pytest.param("S26", "noshow", Action.UPSERT, id="S26-no-show"),
    ],
)
def test_event_sets_status_and_action(event: str, status: str, action: Action) -> None:
    result = map_lines(*siu(event))
    validate_all(result)
    appointment = only(result, "Appointment")
    assert appointment["status"] == status
    assert action_of(result, appointment) is action
    booked = only(map_lines(*siu("S12")), "Appointment")
    assert appointment["id"] == booked["id"]  # every event lands on the same Appointment


@pytest.mark.parametrize(
    ("filler_status", "status", "participant_status"),
    [
        pytest.param("Pending", "pending", "needs-action", id="pending"),
        pytest.param("Waitlist", "waitlist", "needs-action", id="waitlist"),
        pytest.param("Complete", "fulfilled", "accepted", id="complete"),
        pytest.param("Started", "checked-in", "accepted", id="started"),
        pytest.param("", "booked", "accepted", id="absent-defaults-to-booked"),
    ],
)
def test_modify_takes_status_from_sch_25(
    filler_status: str, status: str, participant_status: str
) -> None:
    sch = SCH.replace("|Booked", f"|{filler_status}")
    appointment = only(map_lines(*siu("S14", sch)), "Appointment")
    assert appointment["status"] == status
    assert {p["status"] for p in appointment["participant"]} == {participant_status}


def test_filler_id_keys_the_appointment_without_placer_id() -> None:
    sch = SCH.replace("SCH|PL-100^SCHED|", "SCH||")
    appointment = only(map_lines(*siu("S12", sch)), "Appointment")
    assert appointment["id"] == deterministic_id("Appointment", "urn:fhirport:id:clinic", "FL-200")


def test_times_from_tq1_win_over_resources() -> None:
    lines = siu("S12")
    lines.insert(2, "TQ1|1||||||20240210100000-0500|20240210104500-0500")
    appointment = only(map_lines(*lines), "Appointment")
    assert (appointment["start"], appointment["end"]) == (
        "2024-02-10T10:00:00-05:00",
        "2024-02-10T10:45:00-05:00",
    )


def test_appointment_without_ids_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match="SCH-1"):
        map_lines(msh("SIU^S12"), "SCH||||||||", PID)


def test_general_resource_is_a_device_by_identifier() -> None:
    lines = [*siu("S12"), "AIG|1|A|5001^Video scope^L|101^Equipment^L"]
    appointment = only(map_lines(*lines), "Appointment")
    device = appointment["participant"][-1]
    assert device["actor"] == {
        "type": "Device",
        "identifier": {"system": "urn:fhirport:id:device", "value": "5001"},
        "display": "Video scope",
    }
    assert not of_type(map_lines(*lines), "Device")


def test_appointment_times_compare_moments_across_offsets() -> None:
    result = map_lines(
        msh("SIU^S12"),
        SCH,
        PID,
        "AIL|1|A|ROOM1|||20240210100000-0500|||30|min",
        "AIP|1|A|1^DOC|||20240210150000+0000|||30|min",  # 10:00-05:00: the same moment
        "AIS|1|A|X^Y|20240210093000-0500|||15|min",
    )
    appointment = only(result, "Appointment")
    assert appointment["start"] == "2024-02-10T09:30:00-05:00"
    assert appointment["end"] == "2024-02-10T10:30:00-05:00"


def test_appointment_without_patient_keeps_its_resources() -> None:
    result = map_lines(msh("SIU^S12"), SCH, "RGS|1|A", AIL, AIP)
    validate_all(result)
    appointment = only(result, "Appointment")
    assert of_type(result, "Patient") == []
    assert [p["actor"]["reference"].split("/")[0] for p in appointment["participant"]] == [
        "Practitioner",
        "Location",
        "Practitioner",
    ]


def test_a_resource_start_without_a_time_of_day_is_no_appointment_start() -> None:
    ais = "AIS|1|A|99213^Office visit^C4|0001|||30|min"
    result = map_lines(msh("SIU^S12^SIU_S12"), SCH, PID, "RGS|1|A", ais)
    validate_all(result)

    assert "start" not in only(result, "Appointment")
    assert any("'0001' has no time of day" in w for w in result.warnings)
