"""Decide, resource by resource, what a request may receive of a patient's records.

The order of the rules, for each candidate resource:

1. Request scope: a type or date the request does not name is not released; under
   minimum necessary (45 CFR 164.502(b)) the request must name its resource types.
2. Right of access (164.524): the patient asking for their own records (PATRQT) gets
   everything but psychotherapy notes, whatever their Consents say about other uses.
3. The applicable Consents: each gives the effect of its deepest matching provision,
   else of its base rule; a deny from any Consent overrides every permit.
4. No Consent has a say: the configured default (deny unless configured otherwise).
5. A permit stands only if (a) a purpose that needs an authorization (164.508) was
   permitted by a provision naming the recipient or the purpose, and (b) every
   substance-use (42 CFR Part 2) or psychotherapy label of the resource is named by
   the permitting provision or one of its ancestors.
6. Released Part 2 data is to carry the no-redisclosure label NORDSCLCD (42 CFR 2.32).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from server.consent import codes
from server.consent.applicability import (
    BASE_RULE_PATH,
    CompiledConsent,
    SkippedConsent,
    Verdict,
    compile_consent,
)
from server.consent.candidate import Candidate, candidate_from_resource
from server.consent.decision import Basis, Decision
from server.consent.inputs import Coding, DisclosureRequest, Effect, Policy
from server.consent.provisions import RequestFacts, reference_key
from server.consent.time_range import to_micros

_NO_REDISCLOSURE = (Coding(codes.V3_ACT_CODE, codes.NORDSCLCD),)
_LABEL_SYSTEMS = frozenset({codes.V3_ACT_CODE, None})


class ConsentDecider:
    """A patient's Consents compiled once for one request; ``decide`` runs per resource."""

    def __init__(
        self,
        request: DisclosureRequest,
        consents: Iterable[dict[str, Any]],
        policy: Policy | None = None,
    ) -> None:
        self.request = request
        self.policy = policy or Policy()
        facts = RequestFacts.of(request, to_micros(request.now))
        compiled = [compile_consent(c, request.patient_id, facts) for c in consents]
        self.consents: tuple[CompiledConsent, ...] = tuple(
            c for c in compiled if isinstance(c, CompiledConsent)
        )
        self.skipped: tuple[SkippedConsent, ...] = tuple(
            c for c in compiled if isinstance(c, SkippedConsent)
        )
        self._needs_codes = any(c.tree is not None and c.tree.uses_codes() for c in self.consents)
        purpose = request.purpose
        self._patient_request = purpose == codes.PATRQT
        self._by_patient = (
            request.requester.reference is not None
            and reference_key(request.requester.reference) == f"Patient/{request.patient_id}"
        )
        self._needs_authorization = purpose not in self.policy.base_rule_purposes
        self._minimum_necessary = purpose not in self.policy.minimum_necessary_exempt

    def decide(self, resource: dict[str, Any]) -> Decision:
        """Decide one FHIR resource dict."""
        candidate = candidate_from_resource(resource, with_codes=self._needs_codes)
        return self.decide_candidate(candidate)

    def decide_candidate(self, candidate: Candidate) -> Decision:
        """Decide one candidate (its codes filled when a provision has a code criterion)."""
        refused = self._outside_request(candidate)
        if refused is not None:
            return _deny(candidate, *refused)
        if self._patient_request:
            return self._right_of_access(candidate)
        verdicts = [v for consent in self.consents for v in consent.verdicts(candidate)]
        for verdict in verdicts:
            if verdict.effect is Effect.DENY:
                return _deny(candidate, Basis.CONSENT, _consent_reason(verdict), verdict)
        permits: list[Verdict | None] = [v for v in verdicts if v.effect is Effect.PERMIT]
        if not verdicts:
            if self.policy.default is Effect.DENY:
                return _deny(candidate, Basis.DEFAULT, "no applicable Consent; the default denies")
            permits = [None]
        first_refusal: tuple[Basis, str, Verdict | None] | None = None
        for permit in permits:
            refusal = self._vet_permit(candidate, permit)
            if refusal is None:
                return self._permit(candidate, permit)
            first_refusal = first_refusal or (*refusal, permit)
        assert first_refusal is not None  # permits is never empty here
        return _deny(candidate, *first_refusal)

    def _outside_request(self, candidate: Candidate) -> tuple[Basis, str] | None:
        scope = self.request.scope
        if scope.resource_types is None:
            if self._minimum_necessary:
                return (
                    Basis.MINIMUM_NECESSARY,
                    f"minimum necessary (45 CFR 164.502(b)) applies to {self.request.purpose}: "
                    "the request must name the resource types it needs",
                )
        elif candidate.resource_type not in scope.resource_types:
            return Basis.REQUEST_SCOPE, f"the request does not name {candidate.resource_type}"
        if (
            scope.data_period is not None
            and candidate.when is not None
            and not candidate.when.overlaps(scope.data_period)
        ):
            return Basis.REQUEST_SCOPE, "the resource's date is outside the requested period"
        return None

    def _right_of_access(self, candidate: Candidate) -> Decision:
        if not self._by_patient:
            return _deny(
                candidate,
                Basis.RIGHT_OF_ACCESS,
                f"{codes.PATRQT} requested by {self.request.requester.reference!r}, "
                f"not by Patient/{self.request.patient_id}",
            )
        if any(label.code == codes.PSYTHPN for label in _sensitive_labels(candidate)):
            return _deny(
                candidate,
                Basis.RIGHT_OF_ACCESS,
                "psychotherapy notes are excluded from the right of access "
                "(45 CFR 164.524(a)(1)(i))",
            )
        return Decision(
            candidate.resource_type,
            candidate.id,
            Effect.PERMIT,
            Basis.RIGHT_OF_ACCESS,
            "the patient's right of access to their own records (45 CFR 164.524)",
            add_security=_labels_to_add(candidate),
        )

    def _vet_permit(
        self, candidate: Candidate, verdict: Verdict | None
    ) -> tuple[Basis, str] | None:
        node = verdict.node if verdict is not None else None
        if self._needs_authorization and (node is None or not node.names_party):
            return (
                Basis.AUTHORIZATION_REQUIRED,
                f"{self.request.purpose} needs an authorization (45 CFR 164.508): a permitting "
                "provision naming the recipient or the purpose",
            )
        named = node.named_labels if node is not None else frozenset()
        missing = sorted(label.code for label in _sensitive_labels(candidate) if label not in named)
        if missing:
            return (
                Basis.SENSITIVE_DATA,
                f"labelled {', '.join(missing)}: released only under a provision that permits "
                "the label explicitly (42 CFR Part 2; 45 CFR 164.508(a)(2))",
            )
        return None

    def _permit(self, candidate: Candidate, verdict: Verdict | None) -> Decision:
        if verdict is None:
            return Decision(
                candidate.resource_type,
                candidate.id,
                Effect.PERMIT,
                Basis.DEFAULT,
                "no applicable Consent; the default permits",
                add_security=_labels_to_add(candidate),
            )
        return Decision(
            candidate.resource_type,
            candidate.id,
            Effect.PERMIT,
            Basis.CONSENT,
            _consent_reason(verdict),
            consent_id=verdict.consent_id,
            provision=verdict.path,
            add_security=_labels_to_add(candidate),
        )


def _sensitive_labels(candidate: Candidate) -> list[Coding]:
    # A sensitivity code without a system is still treated as sensitive: the safe reading.
    return [
        label
        for label in candidate.labels
        if label.code in codes.SENSITIVE_LABELS and label.system in _LABEL_SYSTEMS
    ]


def _labels_to_add(candidate: Candidate) -> tuple[Coding, ...]:
    if any(label.code in codes.SUBSTANCE_USE_LABELS for label in _sensitive_labels(candidate)):
        return _NO_REDISCLOSURE
    return ()


def _consent_reason(verdict: Verdict) -> str:
    verb = "permits" if verdict.effect is Effect.PERMIT else "denies"
    if verdict.path == BASE_RULE_PATH:
        rule = codes.OPT_OUT if verdict.effect is Effect.PERMIT else codes.OPT_IN
        return f"Consent/{verdict.consent_id} {verb} by its base rule {rule}: no provision matches"
    return f"Consent/{verdict.consent_id} {verdict.path} {verb} this resource"


def _deny(
    candidate: Candidate, basis: Basis, reason: str, verdict: Verdict | None = None
) -> Decision:
    return Decision(
        candidate.resource_type,
        candidate.id,
        Effect.DENY,
        basis,
        reason,
        consent_id=verdict.consent_id if verdict is not None else None,
        provision=verdict.path if verdict is not None else None,
    )
