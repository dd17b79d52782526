"""What a token sees over HTTP: 401 challenges, and exactly its patient's data in results."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.auth.smart_app import bearer, claim, organization, patient, put_all, smart_client
from tests.auth.tokens import issue

pytestmark = pytest.mark.anyio


@pytest.fixture
async def http(store_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with smart_client(store_url, tmp_path) as client:
        await put_all(
            client,
            [
                patient("p1", "Alpha"),
                patient("p2", "Beta"),
                organization("org1"),
                claim("c1", "p1"),
                claim("c2", "p2"),
                claim("c3", "p2", payee="p1"),
                claim("c4", "p1", status="cancelled"),
            ],
        )
        yield client


def ids(bundle: dict[str, Any], mode: str | None = None) -> list[str]:
    return sorted(
        f"{e['resource']['resourceType']}/{e['resource']['id']}"
        for e in bundle.get("entry", [])
        if mode is None or e.get("search", {}).get("mode") == mode
    )


async def test_no_token_is_a_401_challenge_without_error(http: httpx.AsyncClient) -> None:
    response = await http.get("/fhir/Claim/c1")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="fhirport"'
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Bearer not.a.jwt", id="malformed"),
        pytest.param("Basic dXNlcjpwYXNz", id="not-bearer"),
        pytest.param("Bearer ", id="empty"),
        pytest.param(
            "Bearer "
            + issue("user/*.rs", exp=int(time.time()) - 3600, iat=int(time.time()) - 4000),
            id="expired",
        ),
        pytest.param("Bearer " + issue("user/*.rs", aud="https://elsewhere/fhir"), id="wrong-aud"),
    ],
)
async def test_a_refused_token_is_a_401_invalid_token(
    http: httpx.AsyncClient, authorization: str
) -> None:
    response = await http.get("/fhir/Claim/c1", headers={"Authorization": authorization})
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge == 'Bearer realm="fhirport", error="invalid_token"'
    assert response.json()["issue"][0]["code"] == "login"


async def test_metadata_needs_no_token(http: httpx.AsyncClient) -> None:
    response = await http.get("/fhir/metadata")
    assert response.status_code == 200


async def test_a_patient_search_counts_and_pages_only_the_compartment(
    http: httpx.AsyncClient,
) -> None:
    headers = bearer("patient/Claim.rs", "p1")
    url: str | None = "/fhir/Claim?_count=1&_total=accurate"
    seen: list[str] = []
    totals = set()
    while url:
        bundle = (await http.get(url, headers=headers)).json()
        totals.add(bundle.get("total"))
        seen += ids(bundle)
        url = next((ln["url"] for ln in bundle["link"] if ln["relation"] == "next"), None)
    assert sorted(seen) == ["Claim/c1", "Claim/c3", "Claim/c4"]
    assert totals == {3}


async def test_includes_leave_out_what_the_token_may_not_read(http: httpx.AsyncClient) -> None:
    headers = bearer("patient/*.rs", "p1")
    bundle = (await http.get("/fhir/Claim?_include=Claim:patient", headers=headers)).json()
    assert ids(bundle, "match") == ["Claim/c1", "Claim/c3", "Claim/c4"]
    assert ids(bundle, "include") == ["Patient/p1"]  # not c3's patient, p2
    rev = "/fhir/Patient?_revinclude=Claim:patient&_revinclude=Claim:payee"
    bundle = (await http.get(rev, headers=headers)).json()
    assert ids(bundle, "match") == ["Patient/p1"]
    assert ids(bundle, "include") == ["Claim/c1", "Claim/c3", "Claim/c4"]


async def test_includes_of_types_not_granted_are_left_out(http: httpx.AsyncClient) -> None:
    headers = bearer("user/Claim.rs")
    bundle = (await http.get("/fhir/Claim?_include=Claim:patient", headers=headers)).json()
    assert ids(bundle, "include") == []


async def test_a_chain_cannot_test_another_patient(http: httpx.AsyncClient) -> None:
    headers = bearer("patient/*.rs", "p1")
    # c3 is in p1's compartment (payee) but its patient is p2: p2's name is not testable
    bundle = (await http.get("/fhir/Claim?patient.name=beta", headers=headers)).json()
    assert ids(bundle) == []
    bundle = (await http.get("/fhir/Claim?patient.name=alpha", headers=headers)).json()
    assert ids(bundle) == ["Claim/c1", "Claim/c4"]


async def test_granular_scopes_filter_search_and_read(http: httpx.AsyncClient) -> None:
    headers = bearer("patient/Claim.rs?status=active", "p1")
    bundle = (await http.get("/fhir/Claim", headers=headers)).json()
    assert ids(bundle) == ["Claim/c1", "Claim/c3"]
    assert (await http.get("/fhir/Claim/c4", headers=headers)).status_code == 404
    both = bearer("patient/Claim.rs?status=active patient/Claim.rs?status=cancelled", "p1")
    bundle = (await http.get("/fhir/Claim", headers=both)).json()
    assert ids(bundle) == ["Claim/c1", "Claim/c3", "Claim/c4"]


async def test_history_at_every_level_shows_only_the_compartment(
    http: httpx.AsyncClient,
) -> None:
    headers = bearer("patient/Claim.rs", "p1")
    admin = bearer("system/*.cruds")
    await http.delete("/fhir/Claim/c2", headers=admin)
    await http.delete("/fhir/Claim/c4", headers=admin)
    system = (await http.get("/fhir/_history", headers=headers)).json()
    kinds = sorted(
        e["request"]["url"] for e in system["entry"] if e["request"]["method"] == "DELETE"
    )
    assert kinds == ["Claim/c4"]  # p2's deletion is not shown
    shown = {e["fullUrl"].rsplit("/fhir/", 1)[1] for e in system["entry"] if "fullUrl" in e}
    assert shown <= {"Claim/c1", "Claim/c3", "Claim/c4"}
    typed = (await http.get("/fhir/Claim/_history", headers=headers)).json()
    assert all(e["request"]["url"] != "Claim/c2" for e in typed["entry"])
    assert (await http.get("/fhir/Claim/c2/_history", headers=headers)).status_code == 404
    assert (await http.get("/fhir/Claim/c2", headers=headers)).status_code == 404
    assert (await http.get("/fhir/Claim/c4", headers=headers)).status_code == 410
