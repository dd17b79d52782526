"""The explained outcome of deciding one resource, and the labelled copy a permit releases."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from server.consent.inputs import Coding, Effect


class Basis(StrEnum):
    """What decided: a Consent, or one of the rules that stand before or after them."""

    CONSENT = "consent"  # a provision or the base rule (policyRule) of consent_id
    DEFAULT = "default"  # no applicable Consent had a say; Policy.default
    REQUEST_SCOPE = "request-scope"  # the request does not name this type or date
    MINIMUM_NECESSARY = "minimum-necessary"  # 45 CFR 164.502(b)
    RIGHT_OF_ACCESS = "right-of-access"  # 45 CFR 164.524
    AUTHORIZATION_REQUIRED = "authorization-required"  # 45 CFR 164.508
    SENSITIVE_DATA = "sensitive-data"  # 42 CFR Part 2, psychotherapy notes 164.508(a)(2)


@dataclass(frozen=True, slots=True)
class Decision:
    """Permit or deny for one resource, with who decided it and why.

    ``provision`` is the path of the deciding provision inside ``consent_id``
    (``provision.provision[1]``), or ``policyRule`` when its base rule decided.
    ``add_security`` lists the labels a released copy must carry (NORDSCLCD for Part 2).
    """

    resource_type: str
    resource_id: str
    effect: Effect
    basis: Basis
    reason: str
    consent_id: str | None = None
    provision: str | None = None
    add_security: tuple[Coding, ...] = ()

    @property
    def permitted(self) -> bool:
        return self.effect is Effect.PERMIT


def labelled_copy(resource: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """Return the resource as released: meta.security extended by ``decision.add_security``.

    The input is not modified; only ``meta`` and its ``security`` list are copied.
    """
    if not decision.permitted:
        raise ValueError(f"{decision.resource_type}/{decision.resource_id} was denied")
    if not decision.add_security:
        return resource
    meta = dict(resource.get("meta") or {})
    security = list(meta.get("security") or ())
    present = {Coding.from_fhir(label) for label in security}
    security.extend(label.to_fhir() for label in decision.add_security if label not in present)
    meta["security"] = security
    return {**resource, "meta": meta}
