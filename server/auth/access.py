"""What one request may do: the decisions every interaction asks before it acts.

An ``Access`` is built from a verified token's claims and its scopes
(server.auth.scopes), or permits everything when the server runs with ``--auth none``
(``claims`` None). For a resource type and an interaction letter it answers:

- not granted: ``require``/``restrictions`` raise Forbidden (403);
- granted: ``restrictions`` are the clauses every search of that type is ANDed with
  (compiled into the store's query, so totals and paging stay exact), and ``permits``
  checks one version in hand (a read, a history entry, an include) against them.

A ``patient/`` scope confines a type to the Patient compartment of the token's
``patient`` claim, as the R4 CompartmentDefinition defines it (server.search.compartments);
types in no patient compartment (Organization, Practitioner, Location) are readable under
``patient/`` scopes naming them or ``*``, never written. Granular criteria are ANDed to
their scope; several scopes granting the same letter on a type are ORed. A ``patient/``
scope without a ``patient`` claim, or with criteria this server cannot search, grants
nothing: access fails closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from server.auth.claims import Claims
from server.auth.scopes import Context, Scope, parse_scopes
from server.errors import FhirError, Forbidden
from server.search.compartments import compartment_clause, compartment_params
from server.search.definitions import search_params
from server.search.matching import matches
from server.search.parse import ParsedSearch, parse_search
from server.search.query import AllOfCond, ChainCond, Clause, Condition, HasCond
from server.storage.port import StoredVersion

NAMES = {"c": "create", "r": "read", "u": "update", "d": "delete", "s": "search"}
READ_ONLY = frozenset("rs")

Restrictions = tuple[Clause, ...]


@dataclass(slots=True)
class Access:
    """The decisions for one token (``claims`` None: everything is allowed)."""

    claims: Claims | None
    scopes: tuple[Scope, ...]
    base_urls: tuple[str, ...]
    # (type, letter) -> restrictions, or None when not granted; decided once per token.
    _decided: dict[tuple[str, str], Restrictions | None] = field(default_factory=dict)

    @classmethod
    def unrestricted(cls) -> Access:
        """Everything allowed (``--auth none``)."""
        return cls(None, (), ())

    @classmethod
    def of(cls, claims: Claims, base_urls: tuple[str, ...]) -> Access:
        """The access a verified token grants."""
        return cls(claims, parse_scopes(claims.scope), base_urls)

    @property
    def patient(self) -> str | None:
        """The token's launch patient, if any."""
        return self.claims.patient if self.claims is not None else None

    def allows(self, resource_type: str, letter: str) -> bool:
        """Whether some scope grants ``letter`` on ``resource_type``."""
        return self.claims is None or self._decide(resource_type, letter) is not None

    def require(self, resource_type: str, letter: str) -> None:
        """Raise Forbidden unless some scope grants ``letter`` on ``resource_type``."""
        self.restrictions(resource_type, letter)

    def restrictions(self, resource_type: str, letter: str) -> Restrictions:
        """The clauses that confine ``letter`` on the type (``()``: none); 403 if not granted."""
        if self.claims is None:
            return ()
        decided = self._decide(resource_type, letter)
        if decided is None:
            raise Forbidden(
                f"The access token's scopes do not allow {NAMES[letter]} on {resource_type}"
            )
        return decided

    def permits(self, version: StoredVersion, letter: str) -> bool:
        """Whether ``letter`` is granted on the version's type and the version meets it."""
        if self.claims is None:
            return True
        decided = self._decide(version.resource_type, letter)
        return decided is not None and matches(version, decided, self.base_urls)

    def require_any(self, letter: str) -> None:
        """Raise Forbidden unless ``letter`` is granted on some type (system level)."""
        if self.claims is not None and not any(letter in s.letters for s in self.scopes):
            raise Forbidden(f"The access token's scopes do not allow {NAMES[letter]} on any type")

    def confine_joins(self, parsed: ParsedSearch) -> None:
        """Confine the chains and ``_has`` of a search to what the token may search.

        A join through a type the token cannot search is a 403; through one it can, the
        joined resources are restricted like a search of that type, so a client never
        tests for data it may not read.
        """
        if self.claims is not None:
            parsed.clauses = [self._confined(c) for c in parsed.clauses]

    def _confined(self, clause: Clause) -> Clause:
        return Clause(tuple(self._join(c) for c in clause.any_of), clause.negate)

    def _join(self, cond: Condition) -> Condition:
        if isinstance(cond, ChainCond):
            inner = self._joined(cond.target_type, cond.inner)
            return ChainCond(cond.param, cond.target_type, inner)
        if isinstance(cond, HasCond):
            return HasCond(cond.source_type, cond.param, self._joined(cond.source_type, cond.inner))
        return cond

    def _joined(self, resource_type: str, inner: tuple[Clause, ...]) -> tuple[Clause, ...]:
        confined = tuple(self._confined(c) for c in inner)
        return (*confined, *self.restrictions(resource_type, "s"))

    def _decide(self, resource_type: str, letter: str) -> Restrictions | None:
        key = (resource_type, letter)
        if key not in self._decided:
            granting = [
                conjunction
                for scope in self.scopes
                if scope.grants(resource_type, letter)
                and (conjunction := self._conjunction(scope, resource_type, letter)) is not None
            ]
            self._decided[key] = _either(granting) if granting else None
        return self._decided[key]

    def _conjunction(self, scope: Scope, resource_type: str, letter: str) -> Restrictions | None:
        """What one granting scope confines the type to (None: it grants nothing after all)."""
        clauses: list[Clause] = []
        if scope.context is Context.PATIENT:
            patient = self.patient
            if patient is None:
                return None
            if resource_type in compartment_params("Patient"):
                clauses.append(compartment_clause("Patient", patient, resource_type))
            elif letter not in READ_ONLY:
                return None
        if scope.criteria:
            criteria = criteria_clauses(resource_type, scope.criteria, self.base_urls)
            if criteria is None:
                return None
            clauses.extend(criteria)
        return tuple(clauses)


def criteria_clauses(
    resource_type: str, criteria: Iterable[tuple[str, str]], base_urls: tuple[str, ...]
) -> Restrictions | None:
    """The clauses of a granular scope's criteria, or None when they are not plain filters."""
    criteria = tuple(criteria)
    known = search_params(resource_type)
    for name, _ in criteria:
        if not name.startswith("_has:") and name.split(":")[0].split(".")[0] not in known:
            return None
    try:
        parsed = parse_search(resource_type, criteria, base_urls)
    except FhirError:
        return None
    return None if parsed.ignored else tuple(parsed.clauses)


def _either(conjunctions: list[Restrictions]) -> Restrictions:
    """The OR of conjunctions, as clauses: the ones they share, then one OR of the rest."""
    common = [c for c in conjunctions[0] if all(c in other for other in conjunctions[1:])]
    rests = [tuple(c for c in conj if c not in common) for conj in conjunctions]
    if any(not rest for rest in rests):
        return tuple(common)
    unique = tuple(dict.fromkeys(rests))
    if len(unique) == 1:
        return (*common, *unique[0])
    return (*common, Clause(tuple(AllOfCond(rest) for rest in unique)))
