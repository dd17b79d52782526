"""Each provision criterion, matched and not matched, and how nested provisions combine."""

from __future__ import annotations

from typing import Any

import pytest

from server.consent import Coding, ConsentDecider, Decision, DisclosureRequest, Effect, Party
from server.consent import codes as c
from tests.consent.factories import (
    CLINIC,
    INSURER,
    NOW,
    PATIENT_ID,
    RECIPIENT_ROLE,
    make_claim,
    make_consent,
    make_coverage,
    make_patient_record,
    make_provision,
    make_request,
)

CLAIM_TYPES = "http://terminology.hl7.org/CodeSystem/claim-type"
NPI = "http://hl7.org/fhir/sid/us-npi"
CLAIM_2024 = make_claim("claim-2024", "2024-06-01")


def decide_under(
    provision: dict[str, Any],
    resource: dict[str, Any] = CLAIM_2024,
    request: DisclosureRequest | None = None,
) -> Decision:
    """Decide under an opt-in Consent whose only exception is ``provision``."""
    consent = make_consent("c1", c.OPT_IN, make_provision(children=[provision]))
    return ConsentDecider(request or make_request(c.TREAT, CLINIC), [consent]).decide(resource)


def identified_actor(value: str) -> dict[str, Any]:
    provision = make_provision("permit")
    provision["actor"] = [
        {
            "role": {"coding": [RECIPIENT_ROLE.to_fhir()]},
            "reference": {"identifier": {"system": NPI, "value": value}},
        }
    ]
    return provision


def identified_request(role: Coding = RECIPIENT_ROLE) -> DisclosureRequest:
    clinic = Party(role=role, identifier=Coding(NPI, "1234567893"))
    return DisclosureRequest(PATIENT_ID, clinic, clinic, c.TREAT, NOW)


def case(
    case_id: str,
    matches: bool,
    provision: dict[str, Any] | None = None,
    *,
    resource: dict[str, Any] = CLAIM_2024,
    request: DisclosureRequest | None = None,
    **criteria: Any,
) -> Any:
    """One row: a permit provision with ``criteria`` (or ``provision``) and whether it matches."""
    built = provision if provision is not None else make_provision("permit", **criteria)
    return pytest.param(built, resource, request, matches, id=case_id)


OTHER_ROLE = Coding(RECIPIENT_ROLE.system, "AUT")
YEAR_2024 = ("2024-01-01", "2024-12-31")


@pytest.mark.parametrize(
    ("provision", "resource", "request_", "matches"),
    [
        case("actor", True, actors=[CLINIC]),
        case("other-actor", False, actors=[INSURER]),
        case("actor-by-id", True, identified_actor("1234567893"), request=identified_request()),
        case(
            "actor-other-role",
            False,
            identified_actor("1234567893"),
            request=identified_request(OTHER_ROLE),
        ),
        case("action", True, actions=[c.DISCLOSE]),
        case("other-action", False, actions=["access"]),
        case("purpose", True, purposes=[c.TREAT]),
        case("other-purpose", False, purposes=[c.HPAYMT]),
        case("class", True, classes=["Claim"]),
        case("other-class", False, classes=["Claim"], resource=make_coverage()),
        case(
            "class-outside-resource-types",
            False,
            {"type": "permit", "class": [{"system": "urn:example:classes", "code": "Claim"}]},
        ),
        case("code", True, codes=[(CLAIM_TYPES, "professional")]),
        case("other-code", False, codes=[(CLAIM_TYPES, "institutional")]),
        case("data", True, data=["Claim/claim-2024"]),
        case("other-data", False, data=["Claim/other"]),
        case("data-period", True, data_period=YEAR_2024),
        case("outside-data-period", False, data_period=("2025-01-01", None)),
        case(
            "undated-resource-outside-any-data-period",
            False,
            data_period=YEAR_2024,
            resource=make_patient_record(),
        ),
        case("in-force", True, period=("2025-01-01", "2025-12-31")),
        case("no-longer-in-force", False, period=YEAR_2024),
        case(
            "security-label",
            True,
            labels=[c.ETH],
            resource=make_claim("sud", "2024-06-01", [c.ETH]),
        ),
        case("unlabelled", False, labels=[c.ETH]),
    ],
)
def test_criterion(
    provision: dict[str, Any],
    resource: dict[str, Any],
    request_: DisclosureRequest | None,
    matches: bool,
) -> None:
    decision = decide_under(provision, resource, request_)

    assert decision.permitted is matches
    assert decision.provision == ("provision.provision[0]" if matches else "policyRule")


def test_matching_sibling_deny_wins_over_permit() -> None:
    consent = make_consent(
        "c1",
        c.OPT_IN,
        make_provision(
            children=[
                make_provision("permit", classes=["Claim"]),
                make_provision("deny", data_period=("2024-01-01", "2024-12-31")),
            ]
        ),
    )
    decision = ConsentDecider(make_request(c.TREAT, CLINIC), [consent]).decide(CLAIM_2024)

    assert (decision.effect, decision.provision) == (Effect.DENY, "provision.provision[1]")


def test_permit_nested_in_a_deny_is_its_exception() -> None:
    nested = make_provision(
        "deny", classes=["Claim"], children=[make_provision("permit", actors=[CLINIC])]
    )
    decider = ConsentDecider(
        make_request(c.TREAT, CLINIC),
        [make_consent("c1", c.OPT_OUT, make_provision(children=[nested]))],
    )
    to_insurer = ConsentDecider(
        make_request(c.TREAT, INSURER),
        [make_consent("c1", c.OPT_OUT, make_provision(children=[nested]))],
    )

    assert decider.decide(CLAIM_2024).provision == "provision.provision[0].provision[0]"
    assert decider.decide(CLAIM_2024).permitted
    assert not to_insurer.decide(CLAIM_2024).permitted


def test_typed_root_provision_decides_when_it_matches() -> None:
    consent = make_consent("c1", c.OPT_OUT, make_provision("deny", classes=["Claim"]))
    decider = ConsentDecider(make_request(c.TREAT, CLINIC), [consent])

    assert decider.decide(CLAIM_2024).provision == "provision"
    assert decider.decide(make_coverage()).provision == "policyRule"


def test_label_named_by_an_ancestor_deny_makes_the_nested_permit_explicit() -> None:
    sud_rule = make_provision(
        "deny", labels=[c.ETH], children=[make_provision("permit", actors=[CLINIC])]
    )
    consent = make_consent("c1", c.OPT_OUT, make_provision(children=[sud_rule]))
    sud_claim = make_claim("sud", "2024-06-01", [c.ETH])

    to_clinic = ConsentDecider(make_request(c.TREAT, CLINIC), [consent]).decide(sud_claim)
    to_insurer = ConsentDecider(make_request(c.TREAT, INSURER), [consent]).decide(sud_claim)

    assert (to_clinic.permitted, to_clinic.provision) == (
        True,
        "provision.provision[0].provision[0]",
    )
    assert (to_insurer.permitted, to_insurer.provision) == (False, "provision.provision[0]")
