"""$registration-check: each fault on a patient that has exactly it, none on a complete one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.registration.world import (
    check_codes,
    days,
    make_consent,
    make_coverage,
    make_patient,
    register,
)

pytestmark = pytest.mark.anyio

Record = tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]
Fault = Callable[[Record], Record]


def patient_fault(change: Callable[[dict[str, Any]], None]) -> Fault:
    def fault(record: Record) -> Record:
        change(record[0])
        return record

    return fault


def address(**changes: Any) -> Fault:
    def change(patient: dict[str, Any]) -> None:
        for key, value in changes.items():
            if value is None:
                patient["address"][0].pop(key)
            else:
                patient["address"][0][key] = value

    return patient_fault(change)


def no_coverage(record: Record) -> Record:
    return record[0], None, record[2]


def lapsed_coverage(record: Record) -> Record:
    patient, coverage, consent = record
    assert coverage is not None
    coverage["period"] = {"start": days(-400), "end": days(-30)}
    return patient, coverage, consent


def cancelled_coverage(record: Record) -> Record:
    patient, coverage, consent = record
    assert coverage is not None
    coverage["status"] = "cancelled"
    return patient, coverage, consent


def no_consent(record: Record) -> Record:
    return record[0], record[1], None


def privacy_consent_only(record: Record) -> Record:
    patient, coverage, consent = record
    assert consent is not None
    consent["scope"]["coding"][0]["code"] = "patient-privacy"
    return patient, coverage, consent


def drop(element: str) -> Fault:
    return patient_fault(lambda p: p.pop(element))


CASES = [
    pytest.param("name-missing", "Patient.name", drop("name"), id="name-missing"),
    pytest.param(
        "name-incomplete", "Patient.name.given",
        patient_fault(lambda p: p["name"][0].pop("given")), id="name-incomplete",
    ),
    pytest.param("birthdate-missing", "Patient.birthDate", drop("birthDate"),
                 id="birthdate-missing"),
    pytest.param(
        "birthdate-future", "Patient.birthDate",
        patient_fault(lambda p: p.update(birthDate=days(30))), id="birthdate-future",
    ),
    pytest.param("gender-missing", "Patient.gender", drop("gender"), id="gender-missing"),
    pytest.param("address-missing", "Patient.address", drop("address"), id="address-missing"),
    pytest.param("address-line-missing", "Patient.address.line", address(line=None),
                 id="address-line"),
    pytest.param("address-city-missing", "Patient.address.city", address(city=None),
                 id="address-city"),
    pytest.param("address-state-missing", "Patient.address.state", address(state=None),
                 id="address-state"),
    pytest.param("address-postal-code-missing", "Patient.address.postalCode",
                 address(postalCode=None), id="address-postal-code"),
    pytest.param(
        "address-missing", "Patient.address", address(use="old"), id="address-only-old",
    ),
    pytest.param("phone-missing", "Patient.telecom", drop("telecom"), id="phone-missing"),
    pytest.param(
        "phone-missing", "Patient.telecom",
        patient_fault(lambda p: p.update(telecom=[{"system": "email", "value": "a@x.org"}])),
        id="email-is-no-phone",
    ),
    pytest.param("mrn-missing", "Patient.identifier", drop("identifier"), id="mrn-missing"),
    pytest.param(
        "mrn-missing", "Patient.identifier",
        patient_fault(lambda p: p["identifier"][0].pop("type")), id="identifier-not-mr",
    ),
    pytest.param("coverage-missing", "Coverage.beneficiary", no_coverage, id="coverage-missing"),
    pytest.param("coverage-inactive", "Coverage.period", lapsed_coverage, id="coverage-lapsed"),
    pytest.param("coverage-inactive", "Coverage.status", cancelled_coverage,
                 id="coverage-cancelled"),
    pytest.param("consent-missing", "Consent.scope", no_consent, id="consent-missing"),
    pytest.param("consent-missing", "Consent.scope", privacy_consent_only,
                 id="consent-not-treatment"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "expression", "fault"), CASES)
async def test_registration_issue_found(
    client: httpx.AsyncClient, code: str, expression: str, fault: Fault
) -> None:
    patient, coverage, consent = fault(
        (make_patient("reg-pat"), make_coverage("reg-pat"), make_consent("reg-pat"))
    )
    await register(client, patient, coverage, consent)

    response = await client.get("/fhir/Patient/reg-pat/$registration-check")

    assert response.status_code == 200, response.text
    outcome = response.json()
    assert check_codes(outcome) == [code]
    [issue] = outcome["issue"]
    assert issue["severity"] == "error"
    assert issue["expression"] == [expression]


async def test_a_complete_registration_has_no_issues(client: httpx.AsyncClient) -> None:
    await register(client, make_patient("reg-ok"), make_coverage("reg-ok"), make_consent("reg-ok"))

    response = await client.get("/fhir/Patient/reg-ok/$registration-check")

    assert response.status_code == 200, response.text
    outcome = response.json()
    assert check_codes(outcome) == []
    assert [i["severity"] for i in outcome["issue"]] == ["information"]


async def test_an_unknown_patient_is_a_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/fhir/Patient/nobody/$registration-check")

    assert response.status_code == 404, response.text
    assert "Patient/nobody is not known" in response.json()["issue"][0]["diagnostics"]
