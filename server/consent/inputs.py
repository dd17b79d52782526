"""What a consent decision is asked: who wants which data, for what, under which policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from server.consent import codes
from server.consent.time_range import TimeRange


class Effect(StrEnum):
    """The outcome of a rule (http://hl7.org/fhir/consent-provision-type)."""

    PERMIT = "permit"
    DENY = "deny"


@dataclass(frozen=True, slots=True)
class Coding:
    """A code and its system, as in a FHIR Coding (the system may be absent)."""

    system: str | None
    code: str

    @classmethod
    def from_fhir(cls, value: Any) -> Coding | None:
        """Read a Coding dict; None when it carries no code."""
        if not isinstance(value, dict) or not isinstance(value.get("code"), str):
            return None
        system = value.get("system")
        return cls(system if isinstance(system, str) else None, value["code"])

    def to_fhir(self) -> dict[str, str]:
        coding = {"code": self.code}
        if self.system is not None:
            coding = {"system": self.system, **coding}
        return coding


@dataclass(frozen=True, slots=True)
class Party:
    """A requester or recipient: a literal reference and/or an identifier, in a role.

    ``reference`` is relative (``Organization/law-firm``); ``identifier`` is
    (system, value) as a Coding-shaped pair, for parties known only by identifier.
    """

    role: Coding
    reference: str | None = None
    identifier: Coding | None = None


@dataclass(frozen=True, slots=True)
class Scope:
    """What the request names: resource types (None = every type) and a data period."""

    resource_types: frozenset[str] | None = None
    data_period: TimeRange | None = None


@dataclass(frozen=True, slots=True)
class DisclosureRequest:
    """One request for a patient's records, decided resource by resource."""

    patient_id: str
    requester: Party
    recipient: Party
    purpose: str  # v3 ActReason code, e.g. HPAYMT
    now: datetime  # aware; decides which Consents and provisions are in force
    scope: Scope = field(default_factory=Scope)
    action: str = codes.DISCLOSE  # http://terminology.hl7.org/CodeSystem/consentaction

    @property
    def purpose_coding(self) -> Coding:
        return Coding(codes.V3_ACT_REASON, self.purpose)


@dataclass(frozen=True, slots=True)
class Policy:
    """The site's configuration of the rules the Consents do not decide.

    ``default``: the effect when no applicable Consent has a say.
    ``base_rule_purposes``: purposes that an opt-out base rule or a permitting default
    may release without an authorization (treatment, payment, operations under
    45 CFR 164.506, public health under 164.512(b)); every other purpose needs a
    permitting provision that names the recipient or the purpose (164.508).
    ``minimum_necessary_exempt``: purposes to which 164.502(b) does not apply
    (treatment and the individual); all others must name the resource types.
    """

    default: Effect = Effect.DENY
    base_rule_purposes: frozenset[str] = frozenset(
        {codes.TREAT, codes.ETREAT, codes.HPAYMT, codes.HOPERAT, codes.PUBHLTH}
    )
    minimum_necessary_exempt: frozenset[str] = frozenset({codes.TREAT, codes.ETREAT, codes.PATRQT})
