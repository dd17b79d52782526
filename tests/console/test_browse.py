"""Browse: pick a type, build a search from its parameters, page through the results."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import make_claim, make_patient
from tests.console.signing import sign_in
from tests.referenced import provide_targets

pytestmark = pytest.mark.anyio


async def put(http: httpx.AsyncClient, resource: dict[str, object], **headers: str) -> None:
    path = f"/fhir/{resource['resourceType']}/{resource['id']}"
    answer = await http.put(path, json=resource, headers=headers or None)
    assert answer.status_code in (200, 201), answer.text


async def test_browse_lists_the_held_types(console: httpx.AsyncClient) -> None:
    page = await console.get("/console/browse")
    assert page.status_code == 200
    assert '<a href="/console/browse/Appointment">Appointment</a>' in page.text


async def test_the_builder_lists_a_types_parameters_with_the_specs_words(
    console: httpx.AsyncClient,
) -> None:
    page = await console.get("/console/browse/Patient")
    assert page.status_code == 200
    assert 'for="v-birthdate"' in page.text
    assert "The patient&#39;s date of birth" in page.text
    assert '<option value="ge">' in page.text  # a date's prefixes
    assert '<option value="exact">' in page.text  # a string's modifiers
    assert 'value="Patient:organization"' in page.text  # what _include may name


async def test_a_built_search_shows_what_the_api_found(console: httpx.AsyncClient) -> None:
    await put(console, make_patient(id="p1", name=[{"family": "Nakamura", "given": ["Aiko"]}]))
    await put(console, make_patient(id="p2", name=[{"family": "Okafor", "given": ["Chidi"]}]))
    page = await console.get(
        "/console/browse/Patient", params={"v.family": "Naka", "m.family": "", "run": "1"}
    )
    assert page.status_code == 200
    assert 'href="/console/Patient/p1"' in page.text
    assert 'href="/console/Patient/p2"' not in page.text
    assert "GET /fhir/Patient?family=Naka" in page.text  # the same search with curl


async def test_prefixes_and_modifiers_become_part_of_the_query(console: httpx.AsyncClient) -> None:
    await put(console, make_patient(id="old", birthDate="1950-01-01"))
    await put(console, make_patient(id="young", birthDate="2001-01-01"))
    page = await console.get(
        "/console/browse/Patient", params={"v.birthdate": "2000-01-01", "m.birthdate": "ge"}
    )
    assert "GET /fhir/Patient?birthdate=ge2000-01-01" in page.text
    assert 'href="/console/Patient/young"' in page.text
    assert 'href="/console/Patient/old"' not in page.text


async def test_results_page_through_the_bundles_links(console: httpx.AsyncClient) -> None:
    for n in range(3):
        await put(console, make_patient(id=f"pg{n}"))
    first = await console.get("/console/browse/Patient", params={"q": "_count=2&_sort=_id"})
    assert 'href="/console/Patient/pg0"' in first.text
    assert 'href="/console/Patient/pg2"' not in first.text
    start = first.text.index('rel="next" href="') + len('rel="next" href="')
    next_href = first.text[start : first.text.index('"', start)].replace("&amp;", "&")
    second = await console.get(next_href)
    assert second.status_code == 200
    assert 'href="/console/Patient/pg2"' in second.text


async def test_include_shows_the_included_resources(console: httpx.AsyncClient) -> None:
    await put(console, make_patient(id="inc1"))
    claim = make_claim("Patient/inc1", id="c1")
    await provide_targets(console, claim)
    await put(console, claim)
    page = await console.get(
        "/console/browse/Claim", params={"include": "Claim:patient", "run": "1"}
    )
    assert "_include=Claim%3Apatient" in page.text or "_include=Claim:patient" in page.text
    included = page.text.split('id="included-h"', 1)[1]
    assert 'href="/console/Patient/inc1"' in included


async def test_a_search_the_api_refuses_shows_its_outcome(console: httpx.AsyncClient) -> None:
    page = await console.get("/console/browse/Patient", params={"q": "birthdate=notadate"})
    assert page.status_code == 400
    assert "birthdate" in page.text


async def test_an_unknown_type_is_404(console: httpx.AsyncClient) -> None:
    page = await console.get("/console/browse/Nonsense")
    assert page.status_code == 404


async def test_without_the_scope_the_page_shows_the_403(smart_console: httpx.AsyncClient) -> None:
    await sign_in(smart_console, "user/Claim.rs")
    page = await smart_console.get("/console/browse/Patient", params={"run": "1"})
    assert page.status_code == 403
    assert "your access does not cover this" in page.text
