"""Run the registration rules over a patient's facts; answer an OperationOutcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.registration.facts import PatientFacts
from server.registration.rules import CODE_SYSTEM, RULES, Rule


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule the patient's registration fails, and what exactly is wrong."""

    rule: Rule
    diagnostics: str

    def issue(self) -> dict[str, Any]:
        """The finding as an OperationOutcome issue, coded in CODE_SYSTEM."""
        coding = {"system": CODE_SYSTEM, "code": self.rule.code, "display": self.rule.display}
        return {
            "severity": "error",
            "code": "business-rule",
            "details": {"coding": [coding]},
            "diagnostics": self.diagnostics,
            "expression": [self.rule.expression],
        }


def check(facts: PatientFacts) -> list[Finding]:
    """What the patient's registration lacks or has wrong, in table order."""
    return [
        Finding(rule, diagnostics)
        for rule in RULES
        if (diagnostics := rule.fault(facts)) is not None
    ]


def outcome(findings: list[Finding]) -> dict[str, Any]:
    """The OperationOutcome of a check; one information issue when nothing is lacking."""
    issues = [f.issue() for f in findings] or [
        {"severity": "information", "code": "informational", "diagnostics": "Registration complete"}
    ]
    return {"resourceType": "OperationOutcome", "issue": issues}
