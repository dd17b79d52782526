"""Kick-offs the server refuses: 400 with an OperationOutcome naming the problem."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.bulk.conftest import ASYNC

pytestmark = pytest.mark.anyio


async def test_without_prefer_respond_async_is_400(client: httpx.AsyncClient) -> None:
    answer = await client.get("/fhir/$export")
    assert answer.status_code == 400
    issue = answer.json()["issue"][0]
    assert issue["expression"] == ["Prefer"]


@pytest.mark.parametrize(
    ("query", "expression"),
    [
        pytest.param("_outputFormat=application/xml", "_outputFormat", id="output-format"),
        pytest.param("_type=Observation", "_type", id="type-not-held"),
        pytest.param("_type=Patient,Nonsense", "_type", id="type-unknown"),
        pytest.param("_since=yesterday", "_since", id="since-malformed"),
        pytest.param("_since=2024-01-01", "_since", id="since-a-date"),
        pytest.param("_typeFilter=Patient%3Factive%3Dtrue", "_typeFilter", id="type-filter"),
        pytest.param(
            "includeAssociatedData=LatestProvenanceResources",
            "includeAssociatedData",
            id="associated",
        ),
    ],
)
async def test_unsupported_or_bad_parameters_are_400(
    client: httpx.AsyncClient, query: str, expression: str
) -> None:
    answer = await client.get(f"/fhir/$export?{query}", headers=ASYNC)
    assert answer.status_code == 400, answer.text
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == [expression]


async def test_a_type_outside_the_compartment_is_400_at_patient_level(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get("/fhir/Patient/$export?_type=Organization", headers=ASYNC)
    assert answer.status_code == 400


async def test_lenient_handling_ignores_unsupported_parameters(client: httpx.AsyncClient) -> None:
    answer = await client.get(
        "/fhir/$export?_typeFilter=Patient%3Factive%3Dtrue",
        headers={**ASYNC, "Prefer": "respond-async, handling=lenient"},
    )
    assert answer.status_code == 202
    warnings = [i for i in answer.json()["issue"] if i["severity"] == "warning"]
    assert "_typeFilter" in warnings[0]["diagnostics"]


async def test_a_post_without_parameters_is_400(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/fhir/$export",
        json={"resourceType": "Patient"},
        headers={**ASYNC, "Content-Type": "application/fhir+json"},
    )
    assert answer.status_code == 400


async def test_an_unknown_status_url_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.get("/fhir/$export-status/nope")).status_code == 404
    assert (await client.delete("/fhir/$export-status/nope")).status_code == 404
    assert (await client.get("/fhir/$export-file/nope/Patient-1.ndjson")).status_code == 404


async def test_an_unacceptable_accept_is_406_and_starts_no_job(
    make_app: Callable[..., Any],
) -> None:
    async with make_app(export_max_jobs=1) as http:
        refused = await http.get(
            "/fhir/$export", headers={"Prefer": "respond-async", "Accept": "application/xml"}
        )
        assert refused.status_code == 406
        # Had a job started, this one would be past the limit of one.
        assert (await http.get("/fhir/$export", headers=ASYNC)).status_code == 202
