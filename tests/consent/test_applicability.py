"""Which Consents count for a request, their base rules, and the configured default."""

from __future__ import annotations

from typing import Any

import pytest

from server.consent import Basis, ConsentDecider, Effect, Policy
from server.consent import codes as c
from tests.consent.factories import (
    CLINIC,
    LAW_FIRM,
    make_claim,
    make_consent,
    make_provision,
    make_request,
)

CLAIM = make_claim("claim-1", "2024-06-01")
TREATMENT = make_request(c.TREAT, CLINIC)


@pytest.mark.parametrize(
    ("consent", "reason"),
    [
        pytest.param(make_consent("c", status="draft"), "status is 'draft'", id="draft"),
        pytest.param(make_consent("c", status="inactive"), "not active", id="inactive"),
        pytest.param(
            make_consent(
                "c",
                scope={"coding": [{"system": c.CONSENT_SCOPE, "code": "treatment"}]},
                patient={"reference": "Patient/pat-1"},
            ),
            "not patient-privacy",
            id="treatment-scope",
        ),
        pytest.param(
            make_consent("c", patient={"reference": "Patient/pat-2"}),
            "Patient/pat-2",
            id="another-patient",
        ),
        pytest.param(
            make_consent("c", provision=make_provision(period=("2026-01-01", None))),
            "does not cover now",
            id="not-yet-in-force",
        ),
        pytest.param(
            make_consent("c", provision=make_provision(period=(None, "2025-05-31"))),
            "does not cover now",
            id="expired-yesterday",
        ),
    ],
)
def test_consent_is_skipped_with_its_reason(consent: dict[str, Any], reason: str) -> None:
    decider = ConsentDecider(TREATMENT, [consent])

    assert decider.consents == ()
    assert reason in decider.skipped[0].reason
    assert decider.skipped[0].consent_id == "c"


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        pytest.param(c.OPT_IN, Effect.DENY, id="opt-in-denies"),
        pytest.param(c.OPT_OUT, Effect.PERMIT, id="opt-out-permits"),
    ],
)
def test_base_rule_decides_when_no_provision_matches(rule: str, expected: Effect) -> None:
    consent = make_consent(
        "c", rule, make_provision(children=[make_provision("deny", classes=["Coverage"])])
    )

    decision = ConsentDecider(TREATMENT, [consent]).decide(CLAIM)

    assert (decision.effect, decision.consent_id, decision.provision) == (
        expected,
        "c",
        "policyRule",
    )


def test_consent_without_base_rule_speaks_only_through_provisions() -> None:
    consent = make_consent(
        "c",
        provision=make_provision(children=[make_provision("permit", classes=["Claim"])]),
        policyRule={"coding": [{"system": "urn:example:policy", "code": "hie"}]},
    )
    decider = ConsentDecider(TREATMENT, [consent])

    assert decider.decide(CLAIM).consent_id == "c"
    assert decider.decide({"resourceType": "Coverage", "id": "x"}).basis is Basis.DEFAULT


@pytest.mark.parametrize(
    ("purpose", "recipient", "expected"),
    [
        pytest.param(c.TREAT, CLINIC, Basis.DEFAULT, id="treatment-permitted"),
        pytest.param(
            c.HLEGAL, LAW_FIRM, Basis.AUTHORIZATION_REQUIRED, id="legal-needs-authorization"
        ),
    ],
)
def test_configured_permitting_default(purpose: str, recipient: str, expected: Basis) -> None:
    request = make_request(purpose, recipient, types=["Claim"])

    decision = ConsentDecider(request, [], Policy(default=Effect.PERMIT)).decide(CLAIM)

    assert decision.basis is expected
    assert decision.permitted is (expected is Basis.DEFAULT)


def test_authorization_names_the_purpose_when_not_the_recipient() -> None:
    consent = make_consent(
        "research",
        c.OPT_IN,
        make_provision(children=[make_provision("permit", purposes=[c.HRESCH])]),
    )
    request = make_request(c.HRESCH, "Organization/university", types=["Claim"])

    decision = ConsentDecider(request, [consent]).decide(CLAIM)

    assert (decision.permitted, decision.provision) == (True, "provision.provision[0]")


def test_site_may_widen_the_purposes_a_base_rule_covers() -> None:
    policy = Policy(base_rule_purposes=frozenset({c.TREAT, c.HLEGAL}))
    request = make_request(c.HLEGAL, LAW_FIRM, types=["Claim"])

    assert ConsentDecider(request, [make_consent("c", c.OPT_OUT)], policy).decide(CLAIM).permitted


def test_naive_now_is_refused() -> None:
    request = make_request(c.TREAT, CLINIC, now=TREATMENT.now.replace(tzinfo=None))

    with pytest.raises(ValueError, match="aware"):
        ConsentDecider(request, [])
