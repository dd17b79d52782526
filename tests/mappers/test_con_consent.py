"""MDM with CON -> Consent: status, scope, category, period, consenter."""

from __future__ import annotations

import pytest

from mappers import Action, UnsupportedMessage
from tests.mappers.messages import action_of, by_reference, map_lines, msh, only, seg, validate_all

PID = "PID|1||MRN12345^^^HOSP^MR||DOE^JANE||19800101|F"
TXA = "TXA|1|CN|TX"


def con(**fields: str) -> str:
    values = {
        1: "1",
        2: "001^Release of Information^HL70496",
        3: "HIPAA-2",
        4: "FORM-77^HOSP",
        5: "HIPAA Privacy Form",
        11: "A",
        12: "20240101090000-0500",
        13: "20240101093000-0500",
        14: "20240101",
        15: "20250101",
    }
    values.update({int(k.removeprefix("f")): v for k, v in fields.items()})
    return seg("CON", values)


def mdm(*cons: str) -> list[str]:
    return [msh("MDM^T02^MDM_T02"), "EVN|T02|20240101100000-0500", PID, TXA, *cons]


def test_consent_golden_values() -> None:
    result = map_lines(*mdm(con()))
    validate_all(result)
    consent = only(result, "Consent")
    patient = only(result, "Patient")
    assert consent["status"] == "active"
    assert consent["patient"] == {"reference": f"Patient/{patient['id']}"}
    assert consent["scope"]["coding"][0]["code"] == "patient-privacy"
    assert consent["category"][0]["coding"][0]["code"] == "59284-0"
    assert consent["category"][1]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/v2-0496",
        "code": "001",
        "display": "Release of Information",
    }
    assert consent["dateTime"] == "2024-01-01T09:30:00-05:00"
    assert consent["provision"] == {"period": {"start": "2024-01-01", "end": "2025-01-01"}}
    assert consent["policyRule"] == {"text": "HIPAA Privacy Form"}
    assert consent["performer"] == [consent["patient"]]
    assert consent["identifier"][0]["value"] == "FORM-77"
    assert action_of(result, consent) is Action.UPSERT
    assert action_of(result, patient) is Action.CREATE_ONLY
    assert "TXA" in result.unmapped


@pytest.mark.parametrize(
    ("code", "status"),
    [
        pytest.param("A", "active", id="A-active"),
        pytest.param("L", "active", id="L-limited"),
        pytest.param("R", "rejected", id="R-refused"),
        pytest.param("X", "inactive", id="X-rescinded"),
        pytest.param("B", "inactive", id="B-bypassed"),
    ],
)
def test_status_from_con_11(code: str, status: str) -> None:
    result = map_lines(*mdm(con(f11=code)))
    assert only(result, "Consent")["status"] == status


def test_rescinding_updates_the_same_consent() -> None:
    given = only(map_lines(*mdm(con())), "Consent")
    rescinded = only(map_lines(*mdm(con(f11="X"))), "Consent")
    assert rescinded["id"] == given["id"]


def test_treatment_consent_type_has_treatment_scope() -> None:
    consent = only(map_lines(*mdm(con(f2="002^Medical procedure^HL70496"))), "Consent")
    assert consent["scope"]["coding"][0]["code"] == "treatment"


def test_consenter_other_than_the_patient_is_a_related_person() -> None:
    result = map_lines(*mdm(con(f24="DOE^JOHN", f25="2")))
    validate_all(result)
    consent = only(result, "Consent")
    parent = by_reference(result, consent["performer"][0]["reference"])
    assert parent["name"] == [{"family": "DOE", "given": ["JOHN"]}]
    assert parent["relationship"][0]["coding"][0]["code"] == "2"


def test_unknown_status_is_a_warning() -> None:
    result = map_lines(*mdm(con(f11="Q")))
    assert only(result, "Consent")["status"] == "active"
    assert any("CON-11" in w for w in result.warnings)


def test_mdm_without_con_is_out_of_scope() -> None:
    with pytest.raises(UnsupportedMessage, match="no CON segment"):
        map_lines(*mdm())
