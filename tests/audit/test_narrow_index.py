"""AuditEvent's narrow index: the audit trail's parameters only, sorted by time only.

Every access writes an AuditEvent, so each index row an event carries is paid on every
request. The type is searchable by what the audit trail is searched by, sortable by
its time, and refuses the rest with a 400 instead of answering it from rows it lacks.
"""

from __future__ import annotations

import pytest

from tests.audit.conftest import Audited

pytestmark = pytest.mark.anyio

AUDIT_SEARCH = {
    "_id",
    "_lastUpdated",
    "action",
    "address",
    "agent",
    "date",
    "entity",
    "outcome",
    "patient",
    "source",
    "subtype",
    "type",
}


async def test_capability_statement_lists_the_audit_parameters(audited: Audited) -> None:
    response = await audited.http.get("/fhir/metadata")

    resources = response.json()["rest"][0]["resource"]
    audit = next(r for r in resources if r["type"] == "AuditEvent")
    assert {p["name"] for p in audit["searchParam"]} == AUDIT_SEARCH


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("policy=http://example.org/p", id="policy"),
        pytest.param("entity-name=x", id="entity-name"),
        pytest.param("_sort=outcome", id="sort-by-outcome"),
        pytest.param("_sort=-_id", id="sort-by-id"),
        pytest.param("_sort=address", id="sort-by-address"),
        pytest.param("patient:missing=true", id="missing"),
    ],
)
async def test_searches_the_narrow_index_cannot_answer_are_refused(
    audited: Audited, query: str
) -> None:
    response = await audited.http.get(f"/fhir/AuditEvent?{query}")

    assert response.status_code == 400, response.text
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("query", ["_sort=-date", "_sort=_lastUpdated", "date:missing=false"])
async def test_time_sorts_and_is_always_present(audited: Audited, query: str) -> None:
    await audited.http.get("/fhir/Patient/nobody")
    await audited.trail.flush()

    response = await audited.http.get(f"/fhir/AuditEvent?{query}")

    assert response.status_code == 200, response.text
    assert response.json()["total"] >= 1
