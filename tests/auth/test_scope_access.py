"""Access decisions from claims and scopes: granted or 403, and what a grant confines to."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from server.auth.access import Access
from server.auth.claims import Claims
from server.errors import Forbidden
from server.search.compartments import compartment_clause
from server.search.parse import parse_search
from server.search.query import AllOfCond, ChainCond, Clause, HasCond, TokenCond
from server.storage.port import Method, StoredVersion

BASES = ("http://localhost:8080/fhir",)


def access(scope: str, patient: str | None = "p1") -> Access:
    claims = Claims("https://issuer.test", "app", scope, 2**40, patient=patient)
    return Access.of(claims, BASES)


def version(resource: dict[str, Any]) -> StoredVersion:
    body = orjson.dumps({"id": "x1", **resource})
    return StoredVersion(resource["resourceType"], "x1", 1, 0, Method.PUT, body)


def claim(patient: str, payee: str | None = None, status: str = "active") -> StoredVersion:
    resource: dict[str, Any] = {
        "resourceType": "Claim",
        "status": status,
        "patient": {"reference": f"Patient/{patient}"},
    }
    if payee:
        resource["payee"] = {"type": {"text": "x"}, "party": {"reference": f"Patient/{payee}"}}
    return version(resource)


P1_CLAIMS = compartment_clause("Patient", "p1", "Claim")


def test_auth_none_allows_everything() -> None:
    everything = Access.unrestricted()
    assert everything.claims is None
    assert everything.restrictions("Claim", "d") == ()
    assert everything.permits(claim("p9"), "r")


@pytest.mark.parametrize(
    ("scope", "letter", "granted"),
    [
        ("patient/Claim.read", "r", True),
        ("patient/Claim.read", "s", True),
        ("patient/Claim.read", "c", False),
        ("patient/Claim.write", "u", True),
        ("patient/Claim.write", "r", False),
        ("patient/Claim.c", "c", True),
        ("patient/Claim.c", "u", False),
        ("patient/*.*", "d", True),
        ("patient/Patient.rs", "r", True),
        ("user/Claim.rs", "d", False),
        ("system/*.rs", "s", True),
        ("openid fhirUser", "r", False),
    ],
)
def test_letters_decide_what_is_granted(scope: str, letter: str, granted: bool) -> None:
    decision = access(scope)
    assert decision.allows("Claim" if "Patient." not in scope else "Patient", letter) is granted
    if not granted:
        with pytest.raises(Forbidden):
            decision.require("Claim" if "Patient." not in scope else "Patient", letter)


def test_patient_scopes_confine_to_the_compartment() -> None:
    decision = access("patient/Claim.rs")
    assert decision.restrictions("Claim", "s") == (P1_CLAIMS,)
    assert decision.permits(claim("p1"), "r")
    assert decision.permits(claim("p9", payee="p1"), "r")  # the payee's compartment too
    assert not decision.permits(claim("p9"), "r")


def test_a_patient_scope_without_a_patient_claim_grants_nothing() -> None:
    with pytest.raises(Forbidden):
        access("patient/Claim.rs", patient=None).require("Claim", "r")


def test_types_in_no_compartment_are_read_only_under_patient_scopes() -> None:
    decision = access("patient/*.cruds")
    assert decision.restrictions("Organization", "r") == ()
    assert decision.restrictions("Organization", "s") == ()
    for letter in "cud":
        assert not decision.allows("Organization", letter)
    assert decision.allows("Claim", "u")


def test_user_and_system_scopes_do_not_confine() -> None:
    assert access("user/Claim.rs").restrictions("Claim", "s") == ()
    assert access("system/*.rs").restrictions("Claim", "s") == ()
    assert access("patient/Claim.rs user/Claim.rs").restrictions("Claim", "s") == ()


def test_granular_criteria_are_anded_to_their_scope() -> None:
    decision = access("patient/Claim.rs?status=active")
    status = Clause((TokenCond("status", None, "active"),))
    assert decision.restrictions("Claim", "r") == (P1_CLAIMS, status)
    assert decision.permits(claim("p1"), "r")
    assert not decision.permits(claim("p1", status="cancelled"), "r")


def test_granular_scopes_of_one_type_are_ored() -> None:
    decision = access("patient/Claim.rs?status=active patient/Claim.rs?status=draft&use=claim")
    active = Clause((TokenCond("status", None, "active"),))
    draft = Clause((TokenCond("status", None, "draft"),))
    use = Clause((TokenCond("use", None, "claim"),))
    either = Clause((AllOfCond((active,)), AllOfCond((draft, use))))
    assert decision.restrictions("Claim", "s") == (P1_CLAIMS, either)
    assert decision.permits(claim("p1"), "r")
    assert not decision.permits(claim("p1", status="draft"), "r")  # no use=claim


def test_a_scope_without_criteria_outweighs_granular_ones() -> None:
    decision = access("patient/Claim.rs?status=active patient/Claim.rs")
    assert decision.restrictions("Claim", "s") == (P1_CLAIMS,)


@pytest.mark.parametrize(
    "criteria",
    ["nonsense=1", "_count=5", "_include=Claim:patient", "created=notadate", "_sort=status"],
)
def test_criteria_that_are_not_plain_filters_grant_nothing(criteria: str) -> None:
    assert not access(f"user/Claim.rs?{criteria}").allows("Claim", "s")


def test_joins_through_a_type_the_token_cannot_search_are_forbidden() -> None:
    parsed = parse_search("Claim", [("patient.name", "smith")], BASES)
    with pytest.raises(Forbidden):
        access("patient/Claim.rs").confine_joins(parsed)
    parsed = parse_search("Patient", [("_has:Claim:patient:status", "active")], BASES)
    with pytest.raises(Forbidden):
        access("patient/Patient.rs").confine_joins(parsed)


def test_joins_are_confined_like_searches_of_their_type() -> None:
    parsed = parse_search("Patient", [("_has:Claim:patient:status", "active")], BASES)
    access("patient/Patient.rs patient/Claim.rs").confine_joins(parsed)
    (has,) = parsed.clauses[0].any_of
    assert isinstance(has, HasCond)
    assert has.inner[-1] == P1_CLAIMS
    parsed = parse_search("Claim", [("patient.name", "smith")], BASES)
    access("patient/*.rs").confine_joins(parsed)
    (chain,) = parsed.clauses[0].any_of
    assert isinstance(chain, ChainCond)
    assert chain.inner[-1] == compartment_clause("Patient", "p1", "Patient")
