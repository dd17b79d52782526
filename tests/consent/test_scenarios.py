"""The release-of-information scenarios of issue 5, decided by the engine alone."""

from __future__ import annotations

from typing import Any

import pytest

from server.consent import Basis, ConsentDecider, Decision, Effect, labelled_copy
from server.consent import codes as c
from tests.consent.factories import (
    CLINIC,
    INSURER,
    LAW_FIRM,
    PATIENT_REF,
    RESEARCHER,
    make_claim,
    make_consent,
    make_coverage,
    make_note,
    make_patient_record,
    make_provision,
    make_request,
)

NO_REDISCLOSURE = {"system": c.V3_ACT_CODE, "code": c.NORDSCLCD}


def records() -> list[dict[str, Any]]:
    """The patient's chart: claims of 2023 and 2024 (one Part 2), coverage, notes."""
    return [
        make_patient_record(),
        make_coverage(),
        make_claim("claim-2023", "2023-05-02"),
        make_claim("claim-2024a", "2024-02-10"),
        make_claim("claim-2024b", "2024-11-30"),
        make_claim("claim-sud", "2024-03-15", labels=[c.ETH, c.PART2]),
        make_note("note-visit", "2024-04-01"),
        make_note("note-psych", "2024-04-02", labels=[c.PSYTHPN]),
    ]


def decide_all(decider: ConsentDecider) -> dict[str, Decision]:
    return {f"{r['resourceType']}/{r['id']}": decider.decide(r) for r in records()}


def permitted(decisions: dict[str, Decision]) -> set[str]:
    return {key for key, decision in decisions.items() if decision.permitted}


def general_opt_out(consent_id: str = "general") -> dict[str, Any]:
    """The patient's privacy Consent: share for everything except research."""
    return make_consent(
        consent_id,
        c.OPT_OUT,
        make_provision(children=[make_provision("deny", purposes=[c.HRESCH])]),
    )


@pytest.mark.parametrize(
    ("consents", "basis"),
    [
        pytest.param([], Basis.DEFAULT, id="no-consent"),
        pytest.param([general_opt_out()], Basis.AUTHORIZATION_REQUIRED, id="general-opt-out-only"),
    ],
)
def test_attorney_without_authorization_gets_nothing(
    consents: list[dict[str, Any]], basis: Basis
) -> None:
    request = make_request(c.HLEGAL, LAW_FIRM, types=["Claim", "Coverage", "Patient"])
    decisions = decide_all(ConsentDecider(request, consents))

    assert permitted(decisions) == set()
    assert decisions["Claim/claim-2024a"].basis is basis


def test_attorney_with_authorization_gets_only_the_claims_of_2024() -> None:
    authorization = make_consent(
        "auth-law",
        c.OPT_IN,
        make_provision(
            period=("2025-01-01", "2025-12-31"),
            children=[
                make_provision(
                    "permit",
                    actors=[LAW_FIRM],
                    purposes=[c.HLEGAL],
                    classes=["Claim"],
                    data_period=("2024-01-01", "2024-12-31"),
                )
            ],
        ),
    )
    request = make_request(c.HLEGAL, LAW_FIRM, types=["Claim", "Coverage", "Patient"])
    decisions = decide_all(ConsentDecider(request, [authorization]))

    assert permitted(decisions) == {"Claim/claim-2024a", "Claim/claim-2024b"}
    granted = decisions["Claim/claim-2024a"]
    assert (granted.consent_id, granted.provision) == ("auth-law", "provision.provision[0]")
    refused = decisions["Claim/claim-2023"]
    assert (refused.basis, refused.provision) == (Basis.CONSENT, "policyRule")
    assert "OPTIN" in refused.reason
    assert decisions["Claim/claim-sud"].basis is Basis.SENSITIVE_DATA


def test_patient_gets_everything_except_psychotherapy_notes() -> None:
    refuse_all = make_consent("no-sharing", c.OPT_IN)
    request = make_request(c.PATRQT, PATIENT_REF)
    decisions = decide_all(ConsentDecider(request, [general_opt_out(), refuse_all]))

    everything = {f"{r['resourceType']}/{r['id']}" for r in records()}
    assert permitted(decisions) == everything - {"DocumentReference/note-psych"}
    assert decisions["DocumentReference/note-psych"].basis is Basis.RIGHT_OF_ACCESS
    assert "164.524" in decisions["DocumentReference/note-psych"].reason
    assert decisions["Claim/claim-sud"].add_security[0].code == c.NORDSCLCD


def test_right_of_access_is_only_for_the_patient() -> None:
    request = make_request(c.PATRQT, LAW_FIRM)
    decision = ConsentDecider(request, [general_opt_out()]).decide(make_claim("x", "2024-01-01"))

    assert (decision.effect, decision.basis) == (Effect.DENY, Basis.RIGHT_OF_ACCESS)


def test_patient_may_direct_their_copy_to_a_third_party() -> None:
    request = make_request(c.PATRQT, LAW_FIRM, requester=PATIENT_REF)
    decision = ConsentDecider(request, []).decide(make_claim("x", "2024-01-01"))

    assert decision.permitted


def test_insurer_for_payment_gets_the_minimum_necessary() -> None:
    request = make_request(c.HPAYMT, INSURER, types=["Claim"], period=("2024-01-01", "2024-12-31"))
    decisions = decide_all(ConsentDecider(request, [general_opt_out()]))

    assert permitted(decisions) == {"Claim/claim-2024a", "Claim/claim-2024b"}
    assert decisions["Claim/claim-2023"].basis is Basis.REQUEST_SCOPE
    assert decisions["Coverage/cov-1"].basis is Basis.REQUEST_SCOPE
    assert decisions["Claim/claim-sud"].basis is Basis.SENSITIVE_DATA
    assert decisions["Claim/claim-2024a"].provision == "policyRule"


def test_payment_request_naming_no_types_is_refused_as_not_minimum_necessary() -> None:
    request = make_request(c.HPAYMT, INSURER)
    decisions = decide_all(ConsentDecider(request, [general_opt_out()]))

    assert permitted(decisions) == set()
    assert {d.basis for d in decisions.values()} == {Basis.MINIMUM_NECESSARY}


def test_treatment_need_not_name_types() -> None:
    request = make_request(c.TREAT, CLINIC)
    decisions = decide_all(ConsentDecider(request, [general_opt_out()]))

    assert "Claim/claim-2023" in permitted(decisions)


@pytest.mark.parametrize(
    ("purpose", "recipient", "expected"),
    [
        pytest.param(c.HRESCH, RESEARCHER, Effect.DENY, id="research-denied"),
        pytest.param(c.TREAT, CLINIC, Effect.PERMIT, id="treatment-still-permitted"),
    ],
)
def test_patient_who_opted_out_of_research(purpose: str, recipient: str, expected: Effect) -> None:
    request = make_request(purpose, recipient, types=["Claim"])
    decision = ConsentDecider(request, [general_opt_out()]).decide(make_claim("x", "2024-06-01"))

    assert decision.effect is expected
    assert decision.consent_id == "general"
    if expected is Effect.DENY:
        assert decision.provision == "provision.provision[0]"


@pytest.mark.parametrize(
    ("sud_provision", "expected"),
    [
        pytest.param(None, Effect.DENY, id="without-explicit-provision"),
        pytest.param(
            make_provision("permit", actors=[CLINIC], labels=[c.ETH, c.PART2]),
            Effect.PERMIT,
            id="with-explicit-provision",
        ),
    ],
)
def test_substance_use_claim(sud_provision: dict[str, Any] | None, expected: Effect) -> None:
    treatment = make_provision("permit", actors=[CLINIC], purposes=[c.TREAT])
    children = [treatment] if sud_provision is None else [treatment, sud_provision]
    consent = make_consent("sud", c.OPT_IN, make_provision(children=children))
    sud_claim = make_claim("claim-sud", "2024-03-15", labels=[c.ETH, c.PART2])
    decider = ConsentDecider(make_request(c.TREAT, CLINIC), [consent])

    decision = decider.decide(sud_claim)

    assert decision.effect is expected
    assert decider.decide(make_claim("plain", "2024-03-15")).permitted
    if expected is Effect.PERMIT:
        released = labelled_copy(sud_claim, decision)
        assert NO_REDISCLOSURE in released["meta"]["security"]
        assert NO_REDISCLOSURE not in sud_claim["meta"]["security"]
    else:
        assert decision.basis is Basis.SENSITIVE_DATA
        assert "ETH" in decision.reason


def test_psychotherapy_note_needs_its_own_label_permission() -> None:
    consent = make_consent("notes", c.OPT_IN, make_provision("permit", actors=[CLINIC]))
    decider = ConsentDecider(make_request(c.TREAT, CLINIC), [consent])

    assert decider.decide(make_note("n1", "2024-01-01")).permitted
    assert decider.decide(make_note("n2", "2024-01-01", [c.PSYTHPN])).basis is Basis.SENSITIVE_DATA


def test_nested_deny_inside_a_permit() -> None:
    consent = make_consent(
        "nested",
        c.OPT_IN,
        make_provision(
            children=[
                make_provision(
                    "permit",
                    actors=[INSURER],
                    children=[make_provision("deny", data_period=("2023-01-01", "2023-12-31"))],
                )
            ]
        ),
    )
    request = make_request(c.HPAYMT, INSURER, types=["Claim"])
    decisions = decide_all(ConsentDecider(request, [consent]))

    assert decisions["Claim/claim-2023"].provision == "provision.provision[0].provision[0]"
    assert not decisions["Claim/claim-2023"].permitted
    assert decisions["Claim/claim-2024a"].provision == "provision.provision[0]"
    assert decisions["Claim/claim-2024a"].permitted


@pytest.mark.parametrize(
    ("consent", "skip_reason"),
    [
        pytest.param(
            make_consent("old", c.OPT_OUT, make_provision(period=("2020-01-01", "2024-12-31"))),
            "does not cover now",
            id="expired",
        ),
        pytest.param(
            make_consent("theirs", c.OPT_OUT, patient={"reference": "Patient/pat-2"}),
            "Patient/pat-2",
            id="another-patient",
        ),
    ],
)
def test_consent_that_does_not_count_leaves_the_default(
    consent: dict[str, Any], skip_reason: str
) -> None:
    decider = ConsentDecider(make_request(c.TREAT, CLINIC), [consent])

    decision = decider.decide(make_claim("x", "2024-06-01"))

    assert (decision.effect, decision.basis) == (Effect.DENY, Basis.DEFAULT)
    assert skip_reason in decider.skipped[0].reason


@pytest.mark.parametrize(
    "deny_first", [pytest.param(True, id="deny-first"), pytest.param(False, id="permit-first")]
)
def test_deny_overrides_permit_across_consents(deny_first: bool) -> None:
    permit = make_consent("share", c.OPT_OUT)
    deny = make_consent(
        "no-claims", c.OPT_OUT, make_provision(children=[make_provision("deny", classes=["Claim"])])
    )
    consents = [deny, permit] if deny_first else [permit, deny]
    decider = ConsentDecider(make_request(c.TREAT, CLINIC), consents)

    decision = decider.decide(make_claim("x", "2024-06-01"))

    assert (decision.effect, decision.consent_id) == (Effect.DENY, "no-claims")
    assert decider.decide(make_coverage()).permitted
