"""Compile a Consent's provision tree against one request, then match it per resource.

Criteria split in two. Those about the request (period, actor, action, purpose) are
evaluated once at compile time: a provision they rule out is dropped with its subtree.
Those about the data (securityLabel, class, code, dataPeriod, data) stay on the
compiled node and are tested per resource. Every present criterion must match; a
criterion with several values matches when any value does.

Within one tree the deepest matching provision decides (a nested provision is an
exception to its parent); sibling branches that both decide combine deny-first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.consent import codes
from server.consent.candidate import Candidate
from server.consent.inputs import Coding, DisclosureRequest, Effect, Party
from server.consent.time_range import TimeRange
from server.search.references import split_reference


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """The request as provision criteria see it, computed once per request."""

    now_us: int
    parties: tuple[Party, ...]
    action: Coding
    purpose: Coding

    @classmethod
    def of(cls, request: DisclosureRequest, now_us: int) -> RequestFacts:
        return cls(
            now_us=now_us,
            parties=(request.requester, request.recipient),
            action=Coding(codes.CONSENT_ACTION, request.action),
            purpose=request.purpose_coding,
        )


@dataclass(frozen=True, slots=True)
class ProvisionNode:
    """A provision that fits the request, with its data criteria (None = no criterion).

    ``named_labels`` and ``names_party`` describe the path from the root to this node:
    the security labels it names explicitly, and whether an actor or purpose criterion
    on it matched (so a permit here is an authorization for this recipient or purpose).
    """

    path: str
    effect: Effect | None
    labels: frozenset[Coding] | None
    classes: frozenset[str] | None
    codes: frozenset[Coding] | None
    data_period: TimeRange | None
    data: frozenset[str] | None
    named_labels: frozenset[Coding]
    names_party: bool
    children: tuple[ProvisionNode, ...]

    def matches(self, candidate: Candidate) -> bool:
        """Whether the data criteria of this provision hold for the candidate."""
        if self.classes is not None and candidate.resource_type not in self.classes:
            return False
        if self.labels is not None and self.labels.isdisjoint(candidate.labels):
            return False
        if self.data_period is not None and (
            candidate.when is None or not candidate.when.overlaps(self.data_period)
        ):
            return False
        if self.data is not None and candidate.reference not in self.data:
            return False
        return self.codes is None or not self.codes.isdisjoint(candidate.codes)

    def decide(self, candidate: Candidate) -> tuple[ProvisionNode, ...]:
        """The deciding (typed) provisions in this subtree: one deny, or every permit.

        Every permitting branch is returned because the rules after the Consents
        (authorization, sensitive labels) may accept one permit and refuse another.
        """
        if not self.matches(candidate):
            return ()
        permits: list[ProvisionNode] = []
        for child in self.children:
            found = child.decide(candidate)
            if found and found[0].effect is Effect.DENY:
                return found
            permits.extend(found)
        if permits:
            return tuple(permits)
        return (self,) if self.effect is not None else ()

    def uses_codes(self) -> bool:
        """Whether a ``code`` criterion anywhere in the subtree needs the resource's codes."""
        return self.codes is not None or any(child.uses_codes() for child in self.children)


def compile_provision(
    provision: dict[str, Any],
    facts: RequestFacts,
    *,
    path: str = "provision",
    named_labels: frozenset[Coding] = frozenset(),
    names_party: bool = False,
) -> ProvisionNode | None:
    """Compile a provision dict for the request; None when the request rules it out.

    Raise ValueError for a period or dataPeriod that is not a FHIR date.
    """
    period = provision.get("period")
    if isinstance(period, dict) and not TimeRange.from_period(period).contains(facts.now_us):
        return None
    actors = provision.get("actor")
    if actors and not any(_actor_matches(actor, facts.parties) for actor in actors):
        return None
    if not _criterion_holds(provision.get("action"), facts.action, concepts=True):
        return None
    if not _criterion_holds(provision.get("purpose"), facts.purpose, concepts=False):
        return None
    labels = _coding_set(provision.get("securityLabel"))
    names_party = names_party or bool(actors) or bool(provision.get("purpose"))
    named_labels = named_labels | (labels or frozenset())
    children = (
        compile_provision(
            child,
            facts,
            path=f"{path}.provision[{index}]",
            named_labels=named_labels,
            names_party=names_party,
        )
        for index, child in enumerate(provision.get("provision") or ())
    )
    data_period = provision.get("dataPeriod")
    effect = provision.get("type")
    return ProvisionNode(
        path=path,
        effect=Effect(effect) if effect in (Effect.PERMIT, Effect.DENY) else None,
        labels=labels,
        classes=_classes(provision.get("class")),
        codes=_concept_set(provision.get("code")),
        data_period=TimeRange.from_period(data_period) if isinstance(data_period, dict) else None,
        data=_data_references(provision.get("data")),
        named_labels=named_labels,
        names_party=names_party,
        children=tuple(child for child in children if child is not None),
    )


def reference_key(text: str) -> str:
    """``Type/id`` of a relative reference (history and base stripped), else the text."""
    resource_type, resource_id, url = split_reference(text, ())
    if resource_type is not None and resource_id is not None:
        return f"{resource_type}/{resource_id}"
    return url or text


def _actor_matches(actor: Any, parties: tuple[Party, ...]) -> bool:
    if not isinstance(actor, dict):
        return False
    roles = _concept_set([actor.get("role")]) or frozenset()
    reference = actor.get("reference")
    if not isinstance(reference, dict):
        return False
    literal = reference.get("reference")
    key = reference_key(literal) if isinstance(literal, str) else None
    identifier = reference.get("identifier")
    wanted_id = (
        Coding(identifier.get("system"), identifier["value"])
        if isinstance(identifier, dict) and isinstance(identifier.get("value"), str)
        else None
    )
    for party in parties:
        if party.role not in roles:
            continue
        if key is not None and party.reference and reference_key(party.reference) == key:
            return True
        if wanted_id is not None and party.identifier == wanted_id:
            return True
    return False


def _criterion_holds(values: Any, wanted: Coding, *, concepts: bool) -> bool:
    if not values:
        return True
    found = _concept_set(values) if concepts else _coding_set(values)
    return found is not None and wanted in found


def _coding_set(values: Any) -> frozenset[Coding] | None:
    if not values:
        return None
    return frozenset(c for c in map(Coding.from_fhir, values) if c is not None)


def _concept_set(concepts: Any) -> frozenset[Coding] | None:
    if not concepts:
        return None
    return frozenset(
        coding
        for concept in concepts
        if isinstance(concept, dict)
        for coding in map(Coding.from_fhir, concept.get("coding") or ())
        if coding is not None
    )


def _classes(values: Any) -> frozenset[str] | None:
    # Only resource-type classes are understood; a class in another system matches nothing.
    found = _coding_set(values)
    if found is None:
        return None
    return frozenset(c.code for c in found if c.system == codes.RESOURCE_TYPES)


def _data_references(values: Any) -> frozenset[str] | None:
    # Every meaning (instance, related, dependents, authoredby) matches the instance itself;
    # the graph around it is not among the engine's inputs.
    if not values:
        return None
    return frozenset(
        reference_key(item["reference"]["reference"])
        for item in values
        if isinstance(item, dict)
        and isinstance(item.get("reference"), dict)
        and isinstance(item["reference"].get("reference"), str)
    )
