"""Patient/$everything: the record, its paging, its parameters, and bad input."""

from __future__ import annotations

import httpx
import pytest

from tests.everything.records import (
    appointment,
    coverage,
    encounter,
    location,
    organization,
    patient,
    practitioner,
    put_all,
    walk,
)

pytestmark = pytest.mark.anyio

RECORDS = [
    practitioner("doc1"),
    practitioner("doc2"),
    practitioner("unrelated"),
    organization("payer"),
    location("ward1"),
    patient("alice", doctor="doc1"),
    patient("bob"),
    encounter("e1", "alice", doctor="doc2", ward="ward1"),
    encounter("e2", "alice"),
    encounter("e3", "bob", doctor="unrelated"),
    appointment("a1", "Patient/alice", "Practitioner/doc2"),
    appointment("a2", "Patient/bob"),
    coverage("c1", "alice", "payer"),
]
ALICE = {
    "Patient/alice",
    "Encounter/e1",
    "Encounter/e2",
    "Appointment/a1",
    "Coverage/c1",
    "Practitioner/doc1",
    "Practitioner/doc2",
    "Organization/payer",
    "Location/ward1",
}


@pytest.fixture
async def loaded(client: httpx.AsyncClient) -> httpx.AsyncClient:
    await put_all(client, RECORDS)
    return client


async def test_the_record_is_the_patient_its_compartment_and_what_these_reference(
    loaded: httpx.AsyncClient,
) -> None:
    response = await loaded.get("/fhir/Patient/alice/$everything")

    assert response.status_code == 200, response.text
    body = response.json()
    found = [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in body["entry"]]
    assert set(found) == ALICE
    assert len(found) == len(ALICE)
    assert found[0] == "Patient/alice"
    assert body["total"] == len(ALICE)
    assert "next" not in {link["relation"] for link in body["link"]}


@pytest.mark.parametrize("count", [1, 2, 4, 8, 9, 10])
async def test_pages_follow_next_links_to_the_end_without_repeats_or_empty_pages(
    loaded: httpx.AsyncClient, count: int
) -> None:
    pages = await walk(loaded, f"/fhir/Patient/alice/$everything?_count={count}")

    found = [item for page in pages for item in page]
    assert sorted(found) == sorted(ALICE)
    assert all(len(page) == count for page in pages[:-1])
    assert all(pages)


async def test_type_keeps_only_the_types_named(loaded: httpx.AsyncClient) -> None:
    pages = await walk(loaded, "/fhir/Patient/alice/$everything?_type=Encounter,Practitioner")

    assert set(pages[0]) == {
        "Encounter/e1",
        "Encounter/e2",
        "Practitioner/doc1",
        "Practitioner/doc2",
    }


async def test_since_keeps_what_changed_at_or_after_it(loaded: httpx.AsyncClient) -> None:
    changed = encounter("e2", "alice", ward="ward1")
    changed["status"] = "cancelled"
    before = (await loaded.get("/fhir/Encounter/e1")).json()["meta"]["lastUpdated"]
    await put_all(loaded, [changed])
    since = (await loaded.get("/fhir/Encounter/e2")).json()["meta"]["lastUpdated"]
    assert since > before

    pages = await walk(loaded, f"/fhir/Patient/alice/$everything?_since={since}")

    assert pages == [["Encounter/e2"]]


async def test_a_deleted_member_is_left_out(loaded: httpx.AsyncClient) -> None:
    assert (await loaded.delete("/fhir/Appointment/a1")).status_code in (200, 204)

    pages = await walk(loaded, "/fhir/Patient/alice/$everything")

    assert set(pages[0]) == ALICE - {"Appointment/a1"}


async def test_the_type_level_operation_walks_every_patient(loaded: httpx.AsyncClient) -> None:
    pages = await walk(loaded, "/fhir/Patient/$everything?_count=3")

    found = [item for page in pages for item in page]
    bob = {"Patient/bob", "Encounter/e3", "Appointment/a2", "Practitioner/unrelated"}
    assert sorted(found) == sorted([*ALICE, *bob])
    assert all(pages)


async def test_an_empty_record_is_one_empty_page(loaded: httpx.AsyncClient) -> None:
    pages = await walk(loaded, "/fhir/Patient/bob/$everything?_type=Coverage")

    assert pages == [[]]


@pytest.mark.parametrize(
    ("query", "expression"),
    [
        pytest.param("_count=0", "_count", id="count-zero"),
        pytest.param("_count=x", "_count", id="count-text"),
        pytest.param("_type=Nope", "_type", id="unknown-type"),
        pytest.param("_since=yesterday", "_since", id="since-text"),
        pytest.param("_page=bm90IGEgY3Vyc29y", "_page", id="bad-cursor"),
        pytest.param("start=2020-01-01", "start", id="unsupported-start"),
    ],
)
async def test_bad_parameters_are_a_400_naming_them(
    loaded: httpx.AsyncClient, query: str, expression: str
) -> None:
    response = await loaded.get(f"/fhir/Patient/alice/$everything?{query}")

    assert response.status_code == 400, response.text
    issue = response.json()["issue"][0]
    assert issue["expression"] == [expression]


async def test_an_unknown_patient_is_a_404(loaded: httpx.AsyncClient) -> None:
    response = await loaded.get("/fhir/Patient/nobody/$everything")

    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_post_is_a_405(loaded: httpx.AsyncClient) -> None:
    response = await loaded.post("/fhir/Patient/alice/$everything", json={})

    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


async def test_the_capability_statement_declares_the_operation(client: httpx.AsyncClient) -> None:
    statement = (await client.get("/fhir/metadata")).json()

    patient_entry = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Patient")
    assert "everything" in {op["name"] for op in patient_entry["operation"]}
