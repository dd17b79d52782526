"""DFT^P03 -> Claim: items, diagnoses, procedures, insurance, provider, facility, ids."""

from __future__ import annotations

import pytest

from mappers import Action, MappingError
from mappers.identity import deterministic_id
from tests.mappers.messages import action_of, by_reference, map_lines, msh, only, seg, validate_all

PID = seg("PID", {1: "1", 3: "MRN12345^^^HOSP^MR", 5: "DOE^JANE", 18: "ACC-9^^^HOSP^AN"})
PV1 = seg("PV1", {1: "1", 2: "O", 3: "CLINIC^101^^MAIN HOSPITAL"})
FT1_XRAY = seg(
    "FT1",
    {
        1: "1",
        2: "TX-1",
        4: "20240205",
        6: "CG",
        7: "RAD100^Chest x-ray^L",
        10: "2",
        11: "100.50&USD",
        12: "50.25&USD",
        19: "R07.9^Chest pain, unspecified^I10",
        20: "1234^SMITH^JOHN^^^DR^^^NPI",
        25: "71045^X-ray exam chest 1 view^C4",
        26: "26^Professional component^C4",
    },
)
FT1_VISIT = seg(
    "FT1",
    {
        1: "2",
        2: "TX-2",
        4: "20240206",
        6: "CG",
        10: "1",
        11: "80&USD",
        19: "J06.9^Acute upper respiratory infection^I10",
        25: "G0463^Hospital outpatient clinic visit^HCPCS",
    },
)
DG1 = "DG1|1||R07.9^Chest pain, unspecified^I10||20240205|A"
PR1 = "PR1|1||71045^X-ray exam chest 1 view^C4||20240205"
IN1 = "IN1|1|GOLD^Gold Plan|ACME01^^^PAYERS^NIIP|ACME HEALTH"


def dft(*extra: str) -> list[str]:
    return [
        msh("DFT^P03^DFT_P03"),
        "EVN|P03|20240207120000-0500",
        PID,
        PV1,
        FT1_XRAY,
        FT1_VISIT,
        DG1,
        PR1,
        *extra,
    ]


def test_claim_golden_values() -> None:
    result = map_lines(*dft(IN1))
    validate_all(result)
    claim = only(result, "Claim")
    assert claim["status"] == "active"
    assert claim["use"] == "claim"
    assert claim["type"]["coding"][0]["code"] == "professional"
    assert claim["created"] == "2024-02-07T12:00:00-05:00"
    assert claim["id"] == deterministic_id("Claim", "urn:fhirport:id:hosp|ACC-9", "TX-1+TX-2")
    first, second = claim["item"]
    assert first["productOrService"]["coding"][0] == {
        "system": "http://www.ama-assn.org/go/cpt",
        "code": "71045",
        "display": "X-ray exam chest 1 view",
    }
    assert first["modifier"][0]["coding"][0]["code"] == "26"
    assert first["quantity"] == {"value": 2}
    assert first["net"] == {"value": 100.5, "currency": "USD"}
    assert first["unitPrice"] == {"value": 50.25, "currency": "USD"}
    assert first["servicedDate"] == "2024-02-05"
    assert second["productOrService"]["coding"][0]["system"] == "urn:oid:2.16.840.1.113883.6.285"
    # DG1 gives diagnosis 1 (ICD-10-CM, admitting); FT1-19 adds the one DG1 did not list.
    assert [
        (d["sequence"], d["diagnosisCodeableConcept"]["coding"][0]["code"])
        for d in claim["diagnosis"]
    ] == [(1, "R07.9"), (2, "J06.9")]
    assert claim["diagnosis"][0]["diagnosisCodeableConcept"]["coding"][0]["system"] == (
        "http://hl7.org/fhir/sid/icd-10-cm"
    )
    assert claim["diagnosis"][0]["type"][0]["coding"][0]["code"] == "AD"
    assert (first["diagnosisSequence"], second["diagnosisSequence"]) == ([1], [2])
    assert claim["procedure"][0]["procedureCodeableConcept"]["coding"][0]["code"] == "71045"
    assert claim["procedure"][0]["date"] == "2024-02-05"
    assert claim["total"] == {"value": 180.5, "currency": "USD"}
    assert claim["billablePeriod"] == {"start": "2024-02-05", "end": "2024-02-06"}
    provider = by_reference(result, claim["provider"]["reference"])
    assert provider["identifier"][0]["value"] == "1234"
    assert claim["careTeam"][0]["provider"]["reference"] == claim["provider"]["reference"]
    assert first["careTeamSequence"] == [1]
    facility = by_reference(result, claim["facility"]["reference"])
    assert facility["name"] == "MAIN HOSPITAL / CLINIC / 101"
    coverage = by_reference(result, claim["insurance"][0]["coverage"]["reference"])
    assert coverage["payor"][0]["display"] == "ACME HEALTH"
    assert claim["insurance"][0]["focal"] is True
    assert "PID-18" not in result.unmapped
    assert action_of(result, claim) is Action.UPSERT


def test_claim_without_in1_is_self_pay() -> None:
    result = map_lines(*dft())
    validate_all(result)
    claim = only(result, "Claim")
    coverage = by_reference(result, claim["insurance"][0]["coverage"]["reference"])
    assert coverage["type"]["coding"][0]["code"] == "pay"
    assert coverage["payor"] == [claim["patient"]]


def test_batch_id_keys_the_claim() -> None:
    lines = dft(IN1)
    lines[4] = FT1_XRAY.replace("|TX-1|", "|TX-1|B-77|", 1)
    claim = only(map_lines(*lines), "Claim")
    assert claim["id"] == deterministic_id("Claim", "urn:fhirport:id:hosp|ACC-9", "batch:B-77")


def test_inpatient_visit_makes_an_institutional_claim() -> None:
    lines = dft(IN1)
    lines[3] = PV1.replace("|O|", "|I|")
    claim = only(map_lines(*lines), "Claim")
    assert claim["type"]["coding"][0]["code"] == "institutional"


def test_resending_the_charges_updates_the_same_claim() -> None:
    first = only(map_lines(*dft(IN1)), "Claim")
    lines = dft(IN1)
    lines[0] = msh("DFT^P03^DFT_P03", control_id="RESENT")
    assert only(map_lines(*lines), "Claim")["id"] == first["id"]


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param([msh("DFT^P03"), PID, DG1], id="no-ft1"),
        pytest.param([msh("DFT^P03"), FT1_XRAY], id="no-pid"),
    ],
)
def test_incomplete_dft_is_a_mapping_error(lines: list[str]) -> None:
    with pytest.raises(MappingError):
        map_lines(*lines)


def test_credits_and_payments_are_not_items() -> None:
    lines = dft(IN1)
    lines[5] = FT1_VISIT.replace("|CG|", "|PY|", 1)
    result = map_lines(*lines)
    claim = only(result, "Claim")
    assert [i["productOrService"]["coding"][0]["code"] for i in claim["item"]] == ["71045"]
    assert claim["total"] == {"value": 100.5, "currency": "USD"}
    assert "FT1" in result.unmapped
    assert any("'PY' is not a charge" in w for w in result.warnings)
