"""Operations check the scopes of what they read and write; the CapabilityStatement says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.auth.smart_app import ADMIN, bearer, claim, patient, put_all, smart_client

pytestmark = pytest.mark.anyio

ER7 = {"Content-Type": "x-application/hl7-v2+er7"}


@pytest.fixture
async def http(store_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with smart_client(store_url, tmp_path) as client:
        await put_all(client, [patient("p1"), patient("p2"), claim("c1", "p1")])
        yield client


async def test_the_capability_statement_names_smart_and_the_token_endpoint(
    http: httpx.AsyncClient,
) -> None:
    statement = (await http.get("/fhir/metadata")).json()
    security = statement["rest"][0]["security"]
    (service,) = security["service"]
    assert service["coding"][0]["code"] == "SMART-on-FHIR"
    (oauth,) = security["extension"]
    assert oauth["url"].endswith("/oauth-uris")
    assert oauth["extension"] == [{"url": "token", "valueUri": "http://testserver/auth/token"}]
    operations = list(statement["rest"][0]["operation"])
    for resource in statement["rest"][0]["resource"]:
        operations += resource.get("operation", [])
    assert {o["name"] for o in operations} >= {"hl7v2-ingest", "release", "disclosures"}
    for operation in operations:
        assert "Scopes needed" in operation.get("documentation", ""), operation["name"]


async def test_an_unsecured_server_says_so(client: httpx.AsyncClient) -> None:
    security = (await client.get("/fhir/metadata")).json()["rest"][0]["security"]
    assert "unsecured" in security["description"]
    assert "service" not in security


@pytest.mark.parametrize(
    ("method", "path", "scope", "expected"),
    [
        ("POST", "/fhir/$hl7v2-ingest", "patient/*.cruds", 403),
        ("POST", "/fhir/$hl7v2-ingest", "user/*.rs", 403),
        ("POST", "/fhir/$hl7v2-ingest", "system/*.cruds", 400),  # past the check: no message
        ("POST", "/fhir/$hl7v2-convert", "system/*.rs", 403),
        ("POST", "/fhir/$hl7v2-convert", "system/*.c", 400),
        ("POST", "/fhir/$hl7v2-query", "patient/*.rs", 403),
        ("POST", "/fhir/$hl7v2-query", "system/*.rs", 400),
        ("GET", "/fhir/$hl7v2-ledger", "system/Patient.rs", 403),
        ("GET", "/fhir/$hl7v2-ledger", "user/*.read", 400),
        ("POST", "/fhir/Task/t1/$extend", "patient/Claim.rs", 403),
        ("POST", "/fhir/Task/t1/$release", "user/Task.rs", 403),
        ("GET", "/fhir/Patient/p1/$disclosures", "patient/Patient.rs", 403),
        ("GET", "/fhir/Patient/p1/$disclosures", "patient/Patient.rs patient/AuditEvent.rs", 200),
        ("GET", "/fhir/Patient/p2/$disclosures", "patient/Patient.rs patient/AuditEvent.rs", 404),
        ("GET", "/fhir/Patient/p2/$disclosures", "user/Patient.rs user/AuditEvent.rs", 200),
        ("POST", "/fhir/Patient/$merge", "patient/*.cruds", 403),
        ("POST", "/fhir/Patient/$merge", "user/*.rs", 403),
        ("POST", "/fhir/Patient/$merge", "system/*.cruds", 415),  # past the check: no body type
    ],
)
async def test_operations_check_their_scopes(
    http: httpx.AsyncClient, method: str, path: str, scope: str, expected: int
) -> None:
    headers = {**bearer(scope, "p1"), **(ER7 if method == "POST" else {})}
    response = await http.request(
        method, path, content=b"" if method == "POST" else None, headers=headers
    )
    assert response.status_code == expected, response.text


async def test_a_patient_token_cannot_release_another_patients_records(
    http: httpx.AsyncClient,
) -> None:
    """A Task in p1's compartment only through ``focus`` must not release p2's records."""
    import orjson

    from tests.roi.factories import make_roi_task

    admin = bearer(ADMIN)
    task = make_roi_task("p2", "PATRQT", "Patient/p2", focus={"reference": "Patient/p1"}, id="leak")
    put = await http.put("/fhir/Task/leak", content=orjson.dumps(task), headers=admin)
    assert put.status_code == 201, put.text
    scope = "patient/Task.u " + " ".join(f"patient/{t}.r" for t in ("Patient", "Claim", "*"))
    response = await http.post("/fhir/Task/leak/$release", headers=bearer(scope, "p1"))
    assert response.status_code == 404, response.text
    assert "Doe" not in response.text
    # the same release for the patient whose records they are goes through the checks
    own = await http.post("/fhir/Task/leak/$release", headers=bearer(scope, "p2"))
    assert own.status_code != 403, own.text
