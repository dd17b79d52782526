"""Encounter is a held type: searchable by the specification's parameters, except length
(the one quantity parameter; the engine has no quantity type): that is a 400, not a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.referenced import provide_targets

pytestmark = pytest.mark.anyio


async def test_encounters_are_searched_by_subject_and_status(client: httpx.AsyncClient) -> None:
    encounter = {
        "resourceType": "Encounter",
        "status": "in-progress",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": {"reference": "Patient/p1"},
        "period": {"start": "2024-01-30T08:00:00Z"},
    }
    await provide_targets(client, encounter)
    created = await client.post("/fhir/Encounter", json=encounter)
    assert created.status_code == 201, created.text

    query = "subject=Patient/p1&status=in-progress&date=ge2024-01-30"
    found = await client.get(f"/fhir/Encounter?{query}")

    assert found.status_code == 200
    assert found.json()["total"] == 1


async def test_the_length_parameter_is_refused_as_unsupported(client: httpx.AsyncClient) -> None:
    answer = await client.get("/fhir/Encounter?length=5")

    assert answer.status_code == 400
    assert "length" in answer.text
