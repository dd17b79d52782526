"""Each parameter type and modifier against a small data set with known answers, on every store."""

from __future__ import annotations

import httpx
import pytest

from tests.search.conftest import matched_ids, search

pytestmark = pytest.mark.anyio

CASES = [
    # string: starts-with, case- and accent-insensitive; :exact; :contains
    pytest.param("family=alv", {"alvarez"}, id="string-prefix-accent"),
    pytest.param("family=ALVAREZ", {"alvarez"}, id="string-case"),
    pytest.param("family=smith", {"smith", "smithson"}, id="string-prefix-many"),
    pytest.param("family:exact=Smith", {"smith"}, id="string-exact"),
    pytest.param("family:exact=smith", set(), id="string-exact-is-case-sensitive"),
    pytest.param("family:exact=Álvarez", {"alvarez"}, id="string-exact-accent"),
    pytest.param("family:contains=ith", {"smith", "smithson"}, id="string-contains"),
    pytest.param("given=zoe", {"smithson"}, id="string-given-accent"),
    pytest.param("given=marie", {"smith"}, id="string-second-given"),
    pytest.param("name=sean", {"oneil"}, id="string-name-any-part"),
    pytest.param("address-city=bogota", {"alvarez"}, id="string-address-city"),
    pytest.param("address=110", {"alvarez"}, id="string-address-any-part"),
    pytest.param("family=smiths,alv", {"smithson", "alvarez"}, id="string-or"),
    pytest.param("family=smith&given=zo", {"smithson"}, id="string-and"),
    # token: code, system|code, |code, system|, :not, :text, :of-type, booleans
    pytest.param("gender=female", {"smith", "smithson"}, id="token-code"),
    pytest.param("gender=male,unknown", {"alvarez", "oneil"}, id="token-or"),
    pytest.param("identifier=urn:mrn|A1", {"alvarez"}, id="token-system-code"),
    pytest.param("identifier=111", {"alvarez"}, id="token-second-identifier"),
    pytest.param("identifier=urn:ssn|A1", set(), id="token-wrong-system"),
    pytest.param("identifier=urn:mrn|", {"alvarez", "smith", "smithson"}, id="token-system-only"),
    pytest.param("gender=|female", {"smith", "smithson"}, id="token-no-system"),
    pytest.param("gender:not=female", {"alvarez", "oneil"}, id="token-not"),
    pytest.param(
        "identifier:not=urn:mrn|A1", {"smith", "smithson", "oneil"}, id="token-not-system"
    ),
    pytest.param("identifier:text=mrn", {"alvarez"}, id="token-text"),
    pytest.param(
        f"identifier:of-type={'http://terminology.hl7.org/CodeSystem/v2-0203'}|MR|A1",
        {"alvarez"},
        id="token-of-type",
    ),
    pytest.param(
        "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|S1",
        set(),
        id="token-of-type-other-value",
    ),
    pytest.param("active=true", {"alvarez"}, id="token-boolean"),
    pytest.param("active=false", {"smith"}, id="token-boolean-false"),
    pytest.param("email=jose@example.org", {"alvarez"}, id="token-contactpoint"),
    pytest.param("deceased=true", {"smith"}, id="token-fhirpath-expression"),
    pytest.param("_id=smith,oneil", {"smith", "oneil"}, id="token-id"),
    pytest.param("_tag=urn:tags|vip", {"alvarez"}, id="token-tag"),
    # date: precision as ranges, prefixes, time zones
    pytest.param("birthdate=1990", {"smith", "smithson"}, id="date-year"),
    pytest.param("birthdate=1990-12", {"smithson"}, id="date-month-within-year"),
    pytest.param("birthdate=1990-12-31", {"smithson"}, id="date-day"),
    pytest.param("birthdate=1991-01-01", set(), id="date-next-year-boundary"),
    pytest.param("birthdate=1980-02-29", {"alvarez"}, id="date-leap-day"),
    pytest.param("birthdate=ge1990-01-01", {"smith", "smithson"}, id="date-ge-range-above"),
    pytest.param("birthdate=ge1991", set(), id="date-ge-none"),
    pytest.param("birthdate=gt1989-12-31", {"smith", "smithson"}, id="date-gt"),
    pytest.param("birthdate=lt1990-06-01", {"alvarez", "smith"}, id="date-lt"),
    pytest.param("birthdate=le1980-02-29", {"alvarez"}, id="date-le"),
    pytest.param("birthdate=sa1985", {"smith", "smithson"}, id="date-starts-after"),
    pytest.param("birthdate=eb1985", {"alvarez"}, id="date-ends-before"),
    pytest.param("birthdate=ne1990", {"alvarez"}, id="date-ne"),
    pytest.param("birthdate=ge1980&birthdate=lt1985", {"alvarez"}, id="date-range-and"),
    pytest.param("death-date=2020-04-30", {"smith"}, id="date-timezone-previous-utc-day"),
    pytest.param("death-date=2020-04-30T23:30:00Z", {"smith"}, id="date-instant-in-utc"),
    pytest.param("death-date=2020-05-01T01:30:00%2B02:00", {"smith"}, id="date-instant-offset"),
    pytest.param("death-date=2020-05-01", set(), id="date-local-day-is-not-utc-day"),
    # reference: relative, absolute under this server, outside URL, :Type, plain id
    pytest.param("general-practitioner=Practitioner/pr1", {"smithson"}, id="reference-relative"),
    pytest.param("general-practitioner=pr1", {"smithson"}, id="reference-plain-id"),
    pytest.param(
        "general-practitioner:Practitioner=pr1", {"smithson"}, id="reference-type-modifier"
    ),
    pytest.param("general-practitioner:Organization=pr1", set(), id="reference-wrong-type"),
    pytest.param("organization=Organization/org1", {"smithson"}, id="reference-absolute-local"),
    pytest.param(
        "organization=http://localhost:8080/fhir/Organization/org1",
        {"smithson"},
        id="reference-query-absolute-local",
    ),
    pytest.param(
        "general-practitioner=http://other.example/fhir/Practitioner/9",
        {"oneil"},
        id="reference-outside-url",
    ),
    pytest.param(
        "general-practitioner:identifier=urn:npi|NPI-7", {"alvarez"}, id="reference-identifier"
    ),
    pytest.param(
        "general-practitioner:identifier=NPI-7", {"alvarez"}, id="reference-identifier-any-system"
    ),
    pytest.param(
        "general-practitioner:identifier=urn:x|NPI-7", set(), id="reference-identifier-other-system"
    ),
    # uri
    pytest.param(
        "_profile=http://example.org/fhir/StructureDefinition/pat", {"alvarez"}, id="uri-eq"
    ),
    pytest.param("_profile:below=http://example.org/fhir", {"alvarez"}, id="uri-below"),
    pytest.param(
        "_profile:above=http://example.org/fhir/StructureDefinition/pat/v2",
        {"alvarez"},
        id="uri-above",
    ),
    pytest.param("_profile=http://example.org/fhir", set(), id="uri-eq-is-exact"),
    # :missing on every type
    pytest.param("birthdate:missing=true", {"oneil"}, id="missing-date"),
    pytest.param("birthdate:missing=false", {"alvarez", "smith", "smithson"}, id="missing-false"),
    pytest.param("general-practitioner:missing=true", {"smith"}, id="missing-ref"),
    pytest.param("email:missing=false", {"alvarez"}, id="missing-token"),
    pytest.param("family:missing=true", set(), id="missing-string"),
]


@pytest.mark.parametrize(("query", "expected"), CASES)
async def test_search_finds_exactly_the_expected_patients(
    client: httpx.AsyncClient, patients: dict[str, str], query: str, expected: set[str]
) -> None:
    bundle = await search(client, f"Patient?{query}&_count=100")

    assert set(matched_ids(bundle)) == expected
    assert bundle["total"] == len(expected)


async def test_post_search_is_the_same_as_get(
    client: httpx.AsyncClient, patients: dict[str, str]
) -> None:
    response = await client.post(
        "/fhir/Patient/_search",
        content="family=smith&gender=female",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 200
    assert set(matched_ids(response.json())) == {"smith", "smithson"}


async def test_a_deleted_resource_is_not_found(
    client: httpx.AsyncClient, patients: dict[str, str]
) -> None:
    await client.delete("/fhir/Patient/smith")

    bundle = await search(client, "Patient?family=smith")

    assert matched_ids(bundle) == ["smithson"]


async def test_an_update_replaces_the_index_entries(
    client: httpx.AsyncClient, patients: dict[str, str]
) -> None:
    body = (await client.get("/fhir/Patient/oneil")).json()
    body["name"] = [{"family": "Byrne"}]
    await client.put(
        "/fhir/Patient/oneil", json=body, headers={"Content-Type": "application/fhir+json"}
    )

    assert matched_ids(await search(client, "Patient?family=byrne")) == ["oneil"]
    assert matched_ids(await search(client, "Patient?family=o")) == []
