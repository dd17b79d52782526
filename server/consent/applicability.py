"""Which of a patient's Consents count for a request, and each one compiled for it.

A Consent counts when it is active, of scope patient-privacy, for this patient, and
its root provision's period (if any) covers now. Its base rule comes from policyRule:
opt-in denies what no provision permits, opt-out permits what no provision denies;
any other policyRule gives no base rule (only its provisions have a say).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.consent import codes
from server.consent.candidate import Candidate
from server.consent.inputs import Coding, Effect
from server.consent.provisions import ProvisionNode, RequestFacts, compile_provision, reference_key
from server.consent.time_range import TimeRange

_PRIVACY = Coding(codes.CONSENT_SCOPE, codes.PATIENT_PRIVACY)
_BASE_RULES: dict[Coding, Effect] = {
    Coding(codes.V3_ACT_CODE, codes.OPT_IN): Effect.DENY,
    Coding(codes.V3_ACT_CODE, codes.OPT_OUT): Effect.PERMIT,
}
BASE_RULE_PATH = "policyRule"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What one Consent says about one resource: the effect and the rule that said it."""

    consent_id: str
    effect: Effect
    path: str  # provision path, or BASE_RULE_PATH
    node: ProvisionNode | None  # None when the base rule decided


@dataclass(frozen=True, slots=True)
class CompiledConsent:
    """An applicable Consent, its provisions compiled for the request."""

    consent_id: str
    base: Effect | None
    tree: ProvisionNode | None

    def verdicts(self, candidate: Candidate) -> list[Verdict]:
        """The deciding provisions' verdicts (one deny, or every permit), else the base rule's."""
        nodes = self.tree.decide(candidate) if self.tree is not None else ()
        found = [Verdict(self.consent_id, n.effect, n.path, n) for n in nodes if n.effect]
        if found:
            return found
        if self.base is not None:
            return [Verdict(self.consent_id, self.base, BASE_RULE_PATH, None)]
        return []


@dataclass(frozen=True, slots=True)
class SkippedConsent:
    """A Consent that does not count for the request, and why."""

    consent_id: str
    reason: str


def compile_consent(
    consent: dict[str, Any], patient_id: str, facts: RequestFacts
) -> CompiledConsent | SkippedConsent:
    """Compile one Consent for the request, or say why it does not count."""
    consent_id = str(consent.get("id", ""))
    reason = _not_applicable(consent, patient_id, facts.now_us)
    if reason is not None:
        return SkippedConsent(consent_id, reason)
    root = consent.get("provision")
    try:
        tree = compile_provision(root, facts) if isinstance(root, dict) else None
    except ValueError as exc:
        return SkippedConsent(consent_id, f"unreadable provision: {exc}")
    return CompiledConsent(consent_id, _base_rule(consent.get("policyRule")), tree)


def _not_applicable(consent: dict[str, Any], patient_id: str, now_us: int) -> str | None:
    if consent.get("resourceType") != "Consent":
        return f"not a Consent but {consent.get('resourceType')!r}"
    if consent.get("status") != "active":
        return f"status is {consent.get('status')!r}, not active"
    scope = consent.get("scope")
    scope_codings = scope.get("coding") if isinstance(scope, dict) else None
    scopes = {Coding.from_fhir(coding) for coding in scope_codings or ()}
    if _PRIVACY not in scopes:
        return "scope is not patient-privacy"
    patient = consent.get("patient")
    literal = patient.get("reference") if isinstance(patient, dict) else None
    if not isinstance(literal, str) or reference_key(literal) != f"Patient/{patient_id}":
        return f"for {literal!r}, not Patient/{patient_id}"
    root = consent.get("provision")
    period = root.get("period") if isinstance(root, dict) else None
    if isinstance(period, dict):
        try:
            in_force = TimeRange.from_period(period).contains(now_us)
        except ValueError:
            return "provision.period is not a FHIR Period"
        if not in_force:
            return "provision.period does not cover now"
    return None


def _base_rule(policy_rule: Any) -> Effect | None:
    if not isinstance(policy_rule, dict):
        return None
    for coding in map(Coding.from_fhir, policy_rule.get("coding") or ()):
        if coding in _BASE_RULES:
            return _BASE_RULES[coding]
    return None
