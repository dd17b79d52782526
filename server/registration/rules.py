"""The registration rules: one row each, with its stable code, where it looks, and its test.

A rule's ``fault`` reads a patient's facts and answers what is wrong (the issue's
diagnostics), or None when the rule is met. The codes are those of ``CODE_SYSTEM``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from server.eligibility.in_force import in_force
from server.registration.facts import PatientFacts

CODE_SYSTEM = "https://fhirport.dev/CodeSystem/registration-check"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"

Fault = Callable[[PatientFacts], str | None]


@dataclass(frozen=True, slots=True)
class Rule:
    """A row: the code, what it means, the element it is about, and its test."""

    code: str
    display: str
    expression: str
    fault: Fault


def _current(elements: Any, today: str) -> Iterator[dict[str, Any]]:
    """The elements (names, addresses, contact points) still in use on ``today``."""
    for element in elements or ():
        end = (element.get("period") or {}).get("end") if isinstance(element, dict) else None
        if (
            isinstance(element, dict)
            and element.get("use") != "old"
            and not (isinstance(end, str) and end[:10] < today)
        ):
            yield element


def _names(facts: PatientFacts) -> list[dict[str, Any]]:
    return list(_current(facts.patient.get("name"), facts.today))


def _no_name(facts: PatientFacts) -> str | None:
    if any(n.get("family") or n.get("given") or n.get("text") for n in _names(facts)):
        return None
    return "The patient has no name"


def _name_lacks(part: str, what: str) -> Fault:
    """The patient has a name, but none with both parts, and none with ``part``."""

    def fault(facts: PatientFacts) -> str | None:
        names = [n for n in _names(facts) if n.get("family") or n.get("given") or n.get("text")]
        if not names or any(n.get("family") and n.get("given") for n in names):
            return None
        return None if any(n.get(part) for n in names) else f"The patient's name has no {what}"

    return fault


def _absent(element: str, what: str) -> Fault:
    def fault(facts: PatientFacts) -> str | None:
        return None if facts.patient.get(element) else f"The patient has no {what}"

    return fault


def _birth_in_future(facts: PatientFacts) -> str | None:
    born = facts.patient.get("birthDate")
    if isinstance(born, str) and born[:10] > facts.today:
        return f"The birth date {born} is in the future"
    return None


def _addresses(facts: PatientFacts) -> list[dict[str, Any]]:
    return list(_current(facts.patient.get("address"), facts.today))


def _no_address(facts: PatientFacts) -> str | None:
    return None if _addresses(facts) else "The patient has no current address"


def _address_lacks(part: str, what: str) -> Fault:
    """No current address has ``part``, though the patient has one."""

    def fault(facts: PatientFacts) -> str | None:
        addresses = _addresses(facts)
        if not addresses or any(a.get(part) for a in addresses):
            return None
        return f"The patient's address has no {what}"

    return fault


def _no_phone(facts: PatientFacts) -> str | None:
    points = _current(facts.patient.get("telecom"), facts.today)
    if any(p.get("system") in ("phone", "sms") and p.get("value") for p in points):
        return None
    return "The patient has no phone number"


def _no_mrn(facts: PatientFacts) -> str | None:
    for identifier in facts.patient.get("identifier") or ():
        codings = (identifier.get("type") or {}).get("coding") or ()
        if identifier.get("value") and any(
            c.get("code") == "MR" and c.get("system") in (V2_0203, None) for c in codings
        ):
            return None
    return "The patient has no medical record number (an identifier of type MR)"


def _no_coverage(facts: PatientFacts) -> str | None:
    return None if facts.coverages else "No coverage on file names the patient as beneficiary"


def _coverage_lapse(element: str) -> Fault:
    """Coverage on file, none in force today, the first one's fault on ``element``."""

    def fault(facts: PatientFacts) -> str | None:
        verdicts = [in_force(c, facts.today) for c in facts.coverages]
        if not verdicts or any(v.active for v in verdicts):
            return None
        first = verdicts[0]
        if first.element != element:
            return None
        return f"No coverage on file is in force today: {first.reason}"

    return fault


def _no_consent(facts: PatientFacts) -> str | None:
    active = [c for c in facts.consents if c.get("status") == "active"]
    return None if active else "No active consent to treatment on file"


RULES: tuple[Rule, ...] = (
    Rule("name-missing", "Name missing", "Patient.name", _no_name),
    Rule("name-incomplete", "Name lacks a family name", "Patient.name.family",
         _name_lacks("family", "family name")),
    Rule("name-incomplete", "Name lacks a given name", "Patient.name.given",
         _name_lacks("given", "given name")),
    Rule("birthdate-missing", "Birth date missing", "Patient.birthDate",
         _absent("birthDate", "birth date")),
    Rule("birthdate-future", "Birth date in the future", "Patient.birthDate", _birth_in_future),
    Rule("gender-missing", "Gender missing", "Patient.gender", _absent("gender", "gender")),
    Rule("address-missing", "Address missing", "Patient.address", _no_address),
    Rule("address-line-missing", "Address lacks a street line", "Patient.address.line",
         _address_lacks("line", "street line")),
    Rule("address-city-missing", "Address lacks a city", "Patient.address.city",
         _address_lacks("city", "city")),
    Rule("address-state-missing", "Address lacks a state", "Patient.address.state",
         _address_lacks("state", "state")),
    Rule("address-postal-code-missing", "Address lacks a postal code",
         "Patient.address.postalCode", _address_lacks("postalCode", "postal code")),
    Rule("phone-missing", "Phone number missing", "Patient.telecom", _no_phone),
    Rule("mrn-missing", "Medical record number missing", "Patient.identifier", _no_mrn),
    Rule("coverage-missing", "No coverage on file", "Coverage.beneficiary", _no_coverage),
    Rule("coverage-inactive", "Coverage not active (status)", "Coverage.status",
         _coverage_lapse("Coverage.status")),
    Rule("coverage-inactive", "Coverage not in force today (period)", "Coverage.period",
         _coverage_lapse("Coverage.period")),
    Rule("consent-missing", "No consent to treatment on file", "Consent.scope", _no_consent),
)  # fmt: skip
