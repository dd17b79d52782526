"""Properties over generated Consents, records and requests."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.consent import Basis, Coding, ConsentDecider, DisclosureRequest, Effect
from server.consent import codes as c
from tests.consent.factories import (
    CLINIC,
    INSURER,
    LAW_FIRM,
    PATIENT_REF,
    make_claim,
    make_consent,
    make_coverage,
    make_note,
    make_provision,
    make_request,
)

ACTORS = [CLINIC, INSURER, LAW_FIRM]
PURPOSES = [c.TREAT, c.HPAYMT, c.HLEGAL, c.HRESCH]
TYPES = ["Claim", "Coverage", "DocumentReference"]
LABELS = [c.ETH, c.PART2, c.PSYTHPN]
YEARS = st.integers(2022, 2025)
NO_REDISCLOSURE = Coding(c.V3_ACT_CODE, c.NORDSCLCD)
PROPERTY_SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def some(values: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), max_size=2, unique=True)


def year_span(year: int) -> tuple[str, str]:
    return f"{year}-01-01", f"{year}-12-31"


def provisions(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    """Typed provisions with random criteria, nested up to ``depth`` more levels."""
    children = st.lists(provisions(depth - 1), max_size=2) if depth > 0 else st.just([])
    return st.builds(
        make_provision,
        st.sampled_from(["permit", "deny"]),
        actors=some(ACTORS),
        purposes=some(PURPOSES),
        classes=some(TYPES),
        labels=some(LABELS),
        data_period=st.none() | YEARS.map(year_span),
        children=children,
    )


consent_parts = st.tuples(
    st.sampled_from([c.OPT_IN, c.OPT_OUT]),
    st.lists(provisions(2), max_size=3),
)
records = st.lists(
    st.one_of(
        st.builds(make_claim, st.just("x"), YEARS.map(lambda y: f"{y}-06-01"), some(LABELS)),
        st.builds(make_note, st.just("x"), YEARS.map(lambda y: f"{y}-03-01"), some(LABELS)),
        st.builds(make_coverage, st.just("x")),
    ),
    min_size=1,
    max_size=8,
).map(lambda found: [{**r, "id": f"r{i}"} for i, r in enumerate(found)])
requests = st.builds(
    make_request,
    st.sampled_from([*PURPOSES, c.PATRQT]),
    st.sampled_from([*ACTORS, PATIENT_REF]),
    types=st.none() | some(TYPES),
    period=st.none() | YEARS.map(year_span),
)


Scenario = tuple[list[dict[str, Any]], list[dict[str, Any]], DisclosureRequest]


def scenarios(min_consents: int = 0) -> st.SearchStrategy[Scenario]:
    """(validated Consents c0.., the patient's records, a request)."""
    return st.tuples(
        st.lists(consent_parts, min_size=min_consents, max_size=3).map(build_consents),
        records,
        requests,
    )


def build_consents(parts: list[tuple[str, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    return [
        make_consent(f"c{i}", rule, make_provision(children=children) if children else None)
        for i, (rule, children) in enumerate(parts)
    ]


@PROPERTY_SETTINGS
@given(scenarios())
def test_decision_does_not_depend_on_the_other_resources(scenario: Scenario) -> None:
    consents, resources, request = scenario
    shared = ConsentDecider(request, consents)

    together = [shared.decide(r) for r in resources]
    backwards = [shared.decide(r) for r in reversed(resources)][::-1]
    alone = [ConsentDecider(request, consents).decide(r) for r in resources]

    assert together == backwards == alone


@PROPERTY_SETTINGS
@given(scenarios(min_consents=2))
def test_a_consent_that_denies_is_never_overridden_by_another(scenario: Scenario) -> None:
    consents, resources, request = scenario
    combined = ConsentDecider(request, consents)

    for resource in resources:
        alone = [ConsentDecider(request, [consent]).decide(resource) for consent in consents]
        if any(d.basis is Basis.CONSENT and d.effect is Effect.DENY for d in alone):
            assert combined.decide(resource).effect is Effect.DENY


@PROPERTY_SETTINGS
@given(scenarios())
def test_every_decision_is_explained_and_releases_are_requested_and_labelled(
    scenario: Scenario,
) -> None:
    consents, resources, request = scenario
    decider = ConsentDecider(request, consents)

    for resource in resources:
        decision = decider.decide(resource)
        assert decision.reason
        if decision.basis is Basis.CONSENT:
            assert decision.consent_id is not None
            assert decision.provision is not None
        if not decision.permitted:
            continue
        types = request.scope.resource_types
        assert types is None or resource["resourceType"] in types
        labels = {label["code"] for label in resource.get("meta", {}).get("security", ())}
        assert (NO_REDISCLOSURE in decision.add_security) == bool(labels & c.SUBSTANCE_USE_LABELS)
        if request.purpose == c.PATRQT:
            assert c.PSYTHPN not in labels
        elif labels & c.SENSITIVE_LABELS:
            assert decision.basis is Basis.CONSENT
