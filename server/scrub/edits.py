"""The claim edits: one row each, with its stable code, severity and check.

A check reads the ClaimFacts and yields a Hit per fault (where, and what); the row says
what the fault is called (``CODE_SYSTEM``) and how bad it is. A hit may lower its row's
severity (an ICD-10-CM code checked against a release that was not in force on the date
of service is a warning, not an error).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from server.errors import Severity
from server.scrub import code_sets
from server.scrub.facts import ClaimFacts

CODE_SYSTEM = "https://fhirport.dev/CodeSystem/claim-edit"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
MAX_POINTERS = 4  # diagnosis pointers per line of a professional claim (CMS-1500 24E)


@dataclass(frozen=True, slots=True)
class Hit:
    """One fault: where it is (FHIRPath) and what it is."""

    expression: str
    diagnostics: str
    severity: Severity | None = None  # None: the edit's


Check = Callable[[ClaimFacts], Iterator[Hit]]


@dataclass(frozen=True, slots=True)
class Edit:
    """A row of the table: the edit's code and display, its severity, its check."""

    code: str
    display: str
    severity: Severity
    check: Check


def _patient_lacks(element: str, what: str) -> Check:
    def check(facts: ClaimFacts) -> Iterator[Hit]:
        if facts.patient is not None and not _present(facts.patient, element):
            yield Hit("Claim.patient", f"The patient has no {what}")

    return check


def _present(patient: dict[str, Any], element: str) -> bool:
    if element == "name":
        return any(
            n.get("family") or n.get("given") or n.get("text") for n in patient.get("name") or ()
        )
    if element == "address":
        return any(
            a.get("line") and a.get("city") and a.get("state") and a.get("postalCode")
            for a in patient.get("address") or ()
        )
    return bool(patient.get(element))


def _patient_missing(facts: ClaimFacts) -> Iterator[Hit]:
    if facts.patient is None:
        yield Hit("Claim.patient", "The claim's patient is not on file")


def _no_coverage(facts: ClaimFacts) -> Iterator[Hit]:
    if not any(coverage is not None for coverage in facts.coverages.values()):
        yield Hit("Claim.insurance", "No coverage on file for the claim's insurance")


def _active_on(coverage: dict[str, Any], served: str) -> bool:
    period = coverage.get("period") or {}
    start, end = str(period.get("start", ""))[:10], str(period.get("end", ""))[:10]
    return (
        coverage.get("status") == "active"
        and (not start or start <= served)
        and (not end or served <= end)
    )


def _coverage_inactive(facts: ClaimFacts) -> Iterator[Hit]:
    found = [c for c in facts.coverages.values() if c is not None]
    if not found:
        return
    for index, item in facts.items():
        served = facts.service_date(item)
        if served is not None and not any(_active_on(c, served) for c in found):
            yield Hit(
                f"Claim.item[{index}]",
                f"No coverage on file is active on the date of service {served}",
            )


def _subscriber_id(facts: ClaimFacts) -> Iterator[Hit]:
    for index, coverage in facts.coverages.items():
        if coverage is not None and not coverage.get("subscriberId"):
            yield Hit(f"Claim.insurance[{index}].coverage", "The coverage has no subscriber id")


def _npis(facts: ClaimFacts) -> list[str]:
    provider = facts.provider or {}
    return [
        str(i.get("value", ""))
        for i in provider.get("identifier") or ()
        if isinstance(i, dict) and i.get("system") == NPI_SYSTEM
    ]


def _npi_missing(facts: ClaimFacts) -> Iterator[Hit]:
    if facts.provider is None:
        yield Hit("Claim.provider", "The billing provider is not on file")
    elif not _npis(facts):
        yield Hit("Claim.provider", "The billing provider has no NPI")


def _npi_invalid(facts: ClaimFacts) -> Iterator[Hit]:
    for npi in _npis(facts):
        if not code_sets.npi_valid(npi):
            yield Hit("Claim.provider", f"The billing provider's NPI {npi!r} fails its check digit")


def _codings(concept: Any, systems: frozenset[str]) -> Iterator[tuple[int, str]]:
    for index, coding in enumerate((concept or {}).get("coding") or ()):
        if isinstance(coding, dict) and coding.get("system") in systems:
            yield index, str(coding.get("code", ""))


def _diagnosis_codes(facts: ClaimFacts) -> Iterator[tuple[str, str, code_sets.Icd10Verdict]]:
    for index, diagnosis in enumerate(facts.claim.get("diagnosis") or ()):
        concept = diagnosis.get("diagnosisCodeableConcept")
        for at, code in _codings(concept, frozenset({code_sets.ICD10CM})):
            where = f"Claim.diagnosis[{index}].diagnosisCodeableConcept.coding[{at}]"
            yield where, code, code_sets.icd10cm(code)


def _release_note(facts: ClaimFacts) -> tuple[str, Severity | None]:
    """What to add when the release checked was not in force on every date of service."""
    low, high = code_sets.ICD10CM_IN_FORCE
    dates = [d for _, item in facts.items() if (d := facts.service_date(item))]
    if all(low.isoformat() <= d <= high.isoformat() for d in dates):
        return "", None
    return (
        f" (checked against {code_sets.ICD10CM_RELEASE}, not the release in force on the"
        " date of service)",
        "warning",
    )


def _icd10_unknown(facts: ClaimFacts) -> Iterator[Hit]:
    note, severity = _release_note(facts)
    for where, code, verdict in _diagnosis_codes(facts):
        if not verdict.known:
            yield Hit(where, f"{code!r} is not an ICD-10-CM code{note}", severity)


def _icd10_not_billable(facts: ClaimFacts) -> Iterator[Hit]:
    note, severity = _release_note(facts)
    for where, code, verdict in _diagnosis_codes(facts):
        if verdict.known and not verdict.billable:
            yield Hit(
                where, f"{code!r} is a category, not a billable ICD-10-CM code{note}", severity
            )


def _malformed(systems: frozenset[str], form: Any, name: str) -> Check:
    def check(facts: ClaimFacts) -> Iterator[Hit]:
        for index, item in facts.items():
            for at, code in _codings(item.get("productOrService"), systems):
                if not form.fullmatch(code):
                    where = f"Claim.item[{index}].productOrService.coding[{at}]"
                    yield Hit(where, f"{code!r} is not the form of a {name} code")

    return check


def _modifiers(facts: ClaimFacts) -> Iterator[Hit]:
    for index, item in facts.items():
        for m, modifier in enumerate(item.get("modifier") or ()):
            for c, coding in enumerate(modifier.get("coding") or ()):
                code = str(coding.get("code", ""))
                if not code_sets.MODIFIER_FORM.fullmatch(code):
                    where = f"Claim.item[{index}].modifier[{m}].coding[{c}]"
                    yield Hit(where, f"{code!r} is not a modifier (two letters or digits)")


def _pointers_nowhere(facts: ClaimFacts) -> Iterator[Hit]:
    sequences = {d.get("sequence") for d in facts.claim.get("diagnosis") or ()}
    for index, item in facts.items():
        for p, pointer in enumerate(item.get("diagnosisSequence") or ()):
            if pointer not in sequences:
                where = f"Claim.item[{index}].diagnosisSequence[{p}]"
                yield Hit(where, f"Diagnosis pointer {pointer} points to no diagnosis")


def _too_many_pointers(facts: ClaimFacts) -> Iterator[Hit]:
    if not facts.professional:
        return
    for index, item in facts.items():
        pointers = item.get("diagnosisSequence") or ()
        if len(pointers) > MAX_POINTERS:
            yield Hit(
                f"Claim.item[{index}].diagnosisSequence",
                f"{len(pointers)} diagnosis pointers; a professional claim line takes"
                f" {MAX_POINTERS} at most",
            )


def _outside_billable_period(facts: ClaimFacts) -> Iterator[Hit]:
    period = facts.claim.get("billablePeriod") or {}
    start, end = str(period.get("start", ""))[:10], str(period.get("end", ""))[:10]
    for index, item in facts.items():
        served = item.get("servicedDate") or (item.get("servicedPeriod") or {}).get("start")
        if not isinstance(served, str):
            continue
        if (start and served[:10] < start) or (end and served[:10] > end):
            yield Hit(
                f"Claim.item[{index}]",
                f"The date of service {served[:10]} is outside the billable period",
            )


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _non_positive(element: str, what: str) -> Check:
    def check(facts: ClaimFacts) -> Iterator[Hit]:
        for index, item in facts.items():
            amount = _decimal((item.get(element) or {}).get("value"))
            if amount is not None and amount <= 0:
                yield Hit(f"Claim.item[{index}].{element}", f"The line's {what} is {amount}")

    return check


def _line_net(item: dict[str, Any]) -> Decimal | None:
    net = _decimal((item.get("net") or {}).get("value"))
    if net is not None:
        return net
    price = _decimal((item.get("unitPrice") or {}).get("value"))
    if price is None:
        return None
    quantity = _decimal((item.get("quantity") or {}).get("value")) or Decimal(1)
    factor = _decimal(item.get("factor")) or Decimal(1)
    return price * quantity * factor


def _total(facts: ClaimFacts) -> Iterator[Hit]:
    total = _decimal((facts.claim.get("total") or {}).get("value"))
    nets = [_line_net(item) for _, item in facts.items()]
    if total is None or not nets or any(net is None for net in nets):
        return
    summed = sum((net for net in nets if net is not None), Decimal(0))
    if summed.quantize(Decimal("0.01")) != total.quantize(Decimal("0.01")):
        yield Hit("Claim.total", f"The total {total} is not the sum of the lines, {summed}")


def _duplicate(facts: ClaimFacts) -> Iterator[Hit]:
    for other in facts.duplicates:
        yield Hit(
            "Claim",
            f"Probably a duplicate of Claim/{other}: same patient, provider, dates of service"
            " and codes",
        )


EDITS: tuple[Edit, ...] = (
    Edit("patient-missing", "Patient not on file", "error", _patient_missing),
    Edit("patient-name-missing", "Patient name missing", "error", _patient_lacks("name", "name")),
    Edit(
        "patient-address-missing",
        "Patient address missing or incomplete",
        "error",
        _patient_lacks("address", "complete address (line, city, state, postal code)"),
    ),
    Edit(
        "patient-birthdate-missing",
        "Patient birth date missing",
        "error",
        _patient_lacks("birthDate", "birth date"),
    ),
    Edit(
        "patient-gender-missing",
        "Patient gender missing",
        "error",
        _patient_lacks("gender", "administrative gender"),
    ),
    Edit("coverage-missing", "No coverage on file", "error", _no_coverage),
    Edit(
        "coverage-inactive",
        "No coverage active on the date of service",
        "error",
        _coverage_inactive,
    ),
    Edit("subscriber-id-missing", "Subscriber id missing", "error", _subscriber_id),
    Edit("npi-missing", "Billing provider without an NPI", "error", _npi_missing),
    Edit("npi-invalid", "Billing provider NPI fails its check digit", "error", _npi_invalid),
    Edit("icd10cm-unknown", "ICD-10-CM code does not exist", "error", _icd10_unknown),
    Edit("icd10cm-not-billable", "ICD-10-CM code is not billable", "error", _icd10_not_billable),
    Edit(
        "cpt-malformed",
        "CPT code malformed",
        "error",
        _malformed(frozenset({code_sets.CPT}), code_sets.CPT_FORM, "CPT"),
    ),
    Edit(
        "hcpcs-malformed",
        "HCPCS Level II code malformed",
        "error",
        _malformed(code_sets.HCPCS, code_sets.HCPCS_FORM, "HCPCS Level II"),
    ),
    Edit("modifier-malformed", "Modifier malformed", "error", _modifiers),
    Edit(
        "diagnosis-pointer-invalid", "Diagnosis pointer points nowhere", "error", _pointers_nowhere
    ),
    Edit(
        "diagnosis-pointers-excess",
        "More than four diagnosis pointers on a line",
        "error",
        _too_many_pointers,
    ),
    Edit(
        "service-date-outside-period",
        "Date of service outside the billable period",
        "error",
        _outside_billable_period,
    ),
    Edit(
        "quantity-not-positive",
        "Quantity not positive",
        "error",
        _non_positive("quantity", "quantity"),
    ),
    Edit(
        "charge-not-positive",
        "Charge not positive",
        "error",
        _non_positive("unitPrice", "unit price"),
    ),
    Edit(
        "net-not-positive", "Line amount not positive", "error", _non_positive("net", "net amount")
    ),
    Edit("total-mismatch", "Total is not the sum of the lines", "error", _total),
    Edit("duplicate-probable", "Probable duplicate claim", "warning", _duplicate),
)
