"""Escaped separators in search values (search.html#escaping): ``\\,``, ``\\|``, ``\\\\``."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import FHIR_JSON, make_patient

pytestmark = pytest.mark.anyio
SYSTEM = "urn:oid:2.16.840.1.113883.3.9999.1"


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        pytest.param("A|7", r"A\|7", id="pipe"),
        pytest.param("B,8", r"B\,8", id="comma"),
        pytest.param("C\\9", r"C\\9", id="backslash"),
    ],
)
async def test_an_identifier_with_a_separator_in_it_is_found(
    client: httpx.AsyncClient, stored: str, query: str
) -> None:
    patient = make_patient(identifier=[{"system": SYSTEM, "value": stored}])
    created = (await client.post("/fhir/Patient", json=patient, headers=FHIR_JSON)).json()
    await client.post("/fhir/Patient", json=make_patient(), headers=FHIR_JSON)

    for value in (f"{SYSTEM}|{query}", query, f"{query},nothing-else"):
        found = (await client.get("/fhir/Patient", params={"identifier": value})).json()
        assert [e["resource"]["id"] for e in found.get("entry", [])] == [created["id"]], value
