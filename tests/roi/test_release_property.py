"""Property: a release holds exactly what the consent engine, asked alone, permits.

Random charts (claims of three years with random sensitivity labels, a coverage), a
random privacy Consent with nested provisions, and a random request go through the HTTP
API (PUT the records, POST the Task, ``$release``); the engine is then asked about each
record on its own. No released resource may be one it denies, and none it permits may
be missing.
"""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.consent import (
    Coding,
    ConsentDecider,
    DisclosureRequest,
    Party,
    Scope,
    TimeRange,
)
from server.consent import codes as c
from server.roi import codes
from server.settings import Settings
from tests.conftest import FHIR_JSON, STORE_KINDS, store_url_for
from tests.consent.factories import make_claim, make_coverage, make_provision
from tests.referenced import provide_targets
from tests.roi.factories import file_task, make_roi_task, parameter, references

RECIPIENTS = ["Organization/org-a", "Organization/org-b"]
PURPOSES = [c.HPAYMT, c.HLEGAL, c.PATRQT, c.HRESCH, c.TREAT, c.PUBHLTH]
YEARS = ["2023", "2024", "2025"]
LABELS = [c.ETH, c.PART2, c.PSYTHPN]


def _subset(values: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), unique=True, max_size=len(values))


leaf = st.builds(
    lambda effect, purposes, classes, labels, year, actors: make_provision(
        effect,
        purposes=purposes,
        classes=classes,
        labels=labels,
        data_period=(f"{year}-01-01", f"{year}-12-31") if year else None,
        actors=actors,
    ),
    st.sampled_from(["permit", "deny"]),
    _subset([c.HPAYMT, c.HLEGAL, c.HRESCH]),
    _subset(["Claim", "Coverage"]),
    _subset(LABELS),
    st.none() | st.sampled_from(YEARS),
    _subset(RECIPIENTS),
)
provision = st.builds(
    lambda effect, children: make_provision(effect, children=children),
    st.none() | st.sampled_from(["permit", "deny"]),
    st.lists(
        st.one_of(
            leaf,
            st.builds(lambda p, kids: {**p, "provision": kids}, leaf, st.lists(leaf, max_size=2)),
        ),
        max_size=3,
    ),
)
cases = st.fixed_dictionaries(
    {
        "claims": st.lists(
            st.tuples(st.sampled_from(YEARS), _subset(LABELS)), min_size=1, max_size=5
        ),
        "rule": st.sampled_from([c.OPT_IN, c.OPT_OUT]),
        "provision": provision,
        "purpose": st.sampled_from(PURPOSES),
        "recipient": st.sampled_from([*RECIPIENTS, "patient"]),
        "types": st.none()
        | st.lists(st.sampled_from(["Claim", "Coverage", "Patient"]), unique=True, min_size=1),
        "period": st.none() | st.sampled_from(YEARS),
    }
)


def _chart(patient_id: str, claims: list[tuple[str, list[str]]]) -> list[dict[str, Any]]:
    ref = {"reference": f"Patient/{patient_id}"}
    coverage = make_coverage(f"{patient_id}-cov")
    coverage["beneficiary"] = ref
    chart: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": patient_id, "gender": "female"},
        coverage,
    ]
    for index, (year, labels) in enumerate(claims):
        claim = make_claim(f"{patient_id}-c{index}", f"{year}-06-01", labels)
        claim["patient"] = ref
        claim["insurance"][0]["coverage"] = {"reference": f"Coverage/{coverage['id']}"}
        chart.append(claim)
    return chart


def _consent(patient_id: str, rule: str, tree: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Consent",
        "id": f"{patient_id}-privacy",
        "status": "active",
        "scope": {"coding": [{"system": c.CONSENT_SCOPE, "code": c.PATIENT_PRIVACY}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": f"Patient/{patient_id}"},
        "dateTime": "2024-01-01",
        "policyRule": {"coding": [{"system": c.V3_ACT_CODE, "code": rule}]},
        "provision": tree,
    }


async def _check(client: httpx.AsyncClient, case: dict[str, Any]) -> None:
    patient_id = f"p{uuid.uuid4().hex[:10]}"
    chart = _chart(patient_id, case["claims"])
    consent = _consent(patient_id, case["rule"], case["provision"])
    await provide_targets(client, *chart, consent)
    for resource in [*chart, consent]:
        url = f"/fhir/{resource['resourceType']}/{resource['id']}"
        response = await client.put(url, content=orjson.dumps(resource), headers=FHIR_JSON)
        assert response.status_code == 201, response.text
    recipient = f"Patient/{patient_id}" if case["recipient"] == "patient" else case["recipient"]
    year = case["period"]
    task = await file_task(
        client,
        make_roi_task(
            patient_id,
            case["purpose"],
            recipient,
            types=case["types"] or (),
            period=(f"{year}-01-01", f"{year}-12-31") if year else None,
        ),
    )
    response = await client.post(f"/fhir/Task/{task['id']}/$release")
    assert response.status_code == 200, response.text
    answer = response.json()
    released: set[str] = set()
    if parameter(answer, "release") is not None:
        bundle = await client.get(f"/fhir/{parameter(answer, 'release')['reference']}")
        released = references(bundle.json())

    alone = ConsentDecider(
        DisclosureRequest(
            patient_id=patient_id,
            requester=Party(Coding(codes.PARTICIPATION_TYPE, codes.REQUESTER_ROLE), recipient),
            recipient=Party(Coding(codes.PARTICIPATION_TYPE, codes.RECIPIENT_ROLE), recipient),
            purpose=case["purpose"],
            now=datetime.now(UTC),
            scope=Scope(
                frozenset(case["types"]) if case["types"] else None,
                TimeRange.from_period({"start": year, "end": year}) if year else None,
            ),
        ),
        [consent],
    )
    records = [*chart, consent]  # the Consent is part of the patient's record too
    permitted = {f"{r['resourceType']}/{r['id']}" for r in records if alone.decide(r).permitted}
    assert released <= permitted, "released what the engine alone denies"
    assert released == permitted
    assert parameter(answer, "released") == len(released)


@pytest.mark.parametrize("kind", STORE_KINDS)
def test_no_release_holds_a_resource_the_engine_alone_denies(kind: str, tmp_path: Path) -> None:
    from server.app import create_app

    async def open_app(stack: AsyncExitStack) -> httpx.AsyncClient:
        settings = Settings(
            store=store_url_for(kind, tmp_path), seed=False, allowed_hosts=("testserver",)
        )
        app = create_app(settings)
        await stack.enter_async_context(app.router.lifespan_context(app))
        transport = httpx.ASGITransport(app=app)
        return await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://testserver")
        )

    with asyncio.Runner() as runner:
        stack = AsyncExitStack()
        client = runner.run(open_app(stack))
        try:

            @settings(
                max_examples=20,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            )
            @given(case=cases)
            def check(case: dict[str, Any]) -> None:
                runner.run(_check(client, case))

            check()
        finally:
            runner.run(stack.aclose())
