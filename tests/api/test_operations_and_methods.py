"""A ``$`` segment names an operation; a wrong method is a 405 whose Allow is the truth.

An operation this server does not have at that level (system, type, instance) for
that type is a 404 ``not-supported`` naming it. A method a path does not take is a
405 whose ``Allow`` lists every method the path does take: checked here against what
the server answers to each method.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import FHIR_JSON, make_patient

pytestmark = pytest.mark.anyio

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")

UNKNOWN_OPERATIONS = [
    pytest.param("GET", "/fhir/Patient/$lastn", "$lastn", id="type-lastn"),
    pytest.param("GET", "/fhir/$convert", "$convert", id="system-convert"),
    pytest.param("POST", "/fhir/$convert", "$convert", id="system-convert-post"),
    pytest.param("GET", "/fhir/Patient/p1/$summary", "$summary", id="instance-summary"),
    pytest.param("POST", "/fhir/Patient/$match", "$match", id="type-match"),
    pytest.param("DELETE", "/fhir/Task/t1/$nope", "$nope", id="instance-made-up"),
    pytest.param("POST", "/fhir/AuditEvent/$validate", "$validate", id="read-only-type"),
    pytest.param("PUT", "/fhir/Patient/$lastn", "$lastn", id="type-put"),
    # Operations the server has, asked for at a level or on a type that lacks them.
    pytest.param("GET", "/fhir/Patient/$disclosures", "$disclosures", id="instance-op-at-type"),
    pytest.param("POST", "/fhir/Task/$release", "$release", id="instance-op-at-type-post"),
    pytest.param("POST", "/fhir/$release", "$release", id="instance-op-at-system"),
    pytest.param("GET", "/fhir/Task/t1/$disclosures", "$disclosures", id="op-of-another-type"),
    pytest.param("POST", "/fhir/Patient/p1/$release", "$release", id="op-of-another-type-post"),
    pytest.param("POST", "/fhir/Patient/$hl7v2-ingest", "$hl7v2-ingest", id="system-op-at-type"),
    pytest.param(
        "GET", "/fhir/Patient/p1/$hl7v2-ledger", "$hl7v2-ledger", id="system-op-at-instance"
    ),
]


@pytest.mark.parametrize(("method", "path", "operation"), UNKNOWN_OPERATIONS)
async def test_an_unknown_operation_is_404_not_supported_naming_it(
    client: httpx.AsyncClient, method: str, path: str, operation: str
) -> None:
    response = await client.request(method, path)

    assert response.status_code == 404, (response.status_code, response.text)
    assert "allow" not in response.headers
    issue = response.json()["issue"][0]
    assert issue["code"] == "not-supported"
    assert operation in issue["diagnostics"]
    assert "expression" not in issue  # the operation is not an id


async def test_an_unknown_operation_on_an_unknown_type_names_the_type(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/fhir/Nonesuch/$export")

    assert response.status_code == 404
    assert "Nonesuch" in response.json()["issue"][0]["diagnostics"]


def _path(template: str) -> str:
    return template.replace("{id}", "p1")


# Each path, with the exact Allow its 405 must carry.
ALLOWED = [
    pytest.param("/fhir/metadata", "GET", id="metadata"),
    pytest.param("/fhir/_history", "GET", id="system-history"),
    pytest.param("/fhir/Patient", "GET, POST, PUT, DELETE", id="type"),
    pytest.param("/fhir/Patient/_history", "GET", id="type-history"),
    pytest.param("/fhir/Patient/_search", "POST", id="type-search-post"),
    pytest.param("/fhir/Patient/{id}", "GET, HEAD, PUT, PATCH, DELETE", id="instance"),
    pytest.param("/fhir/Patient/{id}/_history", "GET", id="instance-history"),
    pytest.param("/fhir/Patient/{id}/_history/1", "GET, HEAD", id="vread"),
    pytest.param("/fhir/Patient/{id}/$disclosures", "GET", id="patient-disclosures"),
    pytest.param("/fhir/Patient/{id}/Claim", "GET", id="compartment-search"),
    pytest.param("/fhir/Task/{id}/$release", "POST", id="task-release"),
    pytest.param("/fhir/Task/{id}/$extend", "POST", id="task-extend"),
    pytest.param("/fhir/$hl7v2-ingest", "POST", id="hl7v2-ingest"),
    pytest.param("/fhir/$hl7v2-ledger", "GET", id="hl7v2-ledger"),
    pytest.param("/fhir/AuditEvent", "GET", id="read-only-type"),
    pytest.param("/fhir/AuditEvent/_history", "GET", id="read-only-type-history"),
    pytest.param("/fhir/AuditEvent/{id}", "GET, HEAD", id="read-only-instance"),
    pytest.param("/fhir/Provenance/{id}", "GET, HEAD", id="provenance-instance"),
    pytest.param("/fhir/Bundle", "GET", id="bundle-type"),
    pytest.param("/fhir/Bundle/{id}/_history/1", "GET, HEAD", id="bundle-vread"),
    pytest.param("/fhir/Patient/{id}/$everything", "GET", id="patient-everything"),
    pytest.param("/fhir/Patient/$everything", "GET", id="patients-everything"),
    pytest.param("/fhir/$meta", "GET, POST", id="system-meta"),
    pytest.param("/fhir/Patient/$meta", "GET, POST", id="type-meta"),
    pytest.param("/fhir/Patient/{id}/$meta", "GET, POST", id="instance-meta"),
    pytest.param("/fhir/Patient/{id}/_history/1/$meta", "GET, POST", id="version-meta"),
    pytest.param("/fhir/Patient/{id}/$meta-add", "POST", id="meta-add"),
    pytest.param("/fhir/Patient/$validate", "POST", id="type-validate"),
    pytest.param("/fhir/Patient/{id}/$validate", "POST", id="instance-validate"),
    pytest.param("/fhir/$export", "GET, POST", id="system-export"),
    pytest.param("/fhir/Patient/$export", "GET, POST", id="patient-export"),
    pytest.param("/fhir/Group/{id}/$export", "GET, POST", id="group-export"),
    pytest.param("/fhir/$export-status/{id}", "GET, DELETE", id="export-status"),
    pytest.param("/fhir/$export-file/{id}/Patient-1.ndjson", "GET", id="export-file"),
]


@pytest.mark.parametrize(("template", "allow"), ALLOWED)
async def test_a_wrong_method_is_405_with_every_method_the_path_takes(
    client: httpx.AsyncClient, template: str, allow: str
) -> None:
    path = _path(template)
    for method in METHODS:
        if method in allow.split(", "):
            continue
        response = await client.request(method, path)

        assert response.status_code == 405, (method, response.status_code, response.text)
        assert response.headers["allow"] == allow, method
        if method != "HEAD":
            assert response.json()["issue"][0]["code"] == "not-supported"


def _well_formed(method: str, path: str) -> dict[str, Any]:
    if method in ("PUT", "POST") and not path.split("/")[-1].startswith("$"):
        return {"json": make_patient(id="p1"), "headers": FHIR_JSON}
    if method == "PATCH":
        return {"content": b"[]", "headers": {"Content-Type": "application/json-patch+json"}}
    return {}


@pytest.mark.parametrize(("template", "allow"), ALLOWED)
async def test_every_method_in_allow_is_taken(
    client: httpx.AsyncClient, template: str, allow: str
) -> None:
    path = _path(template)
    for method in allow.split(", "):
        response = await client.request(method, path, **_well_formed(method, path))

        assert response.status_code != 405, (method, response.text)


async def test_an_interaction_a_read_only_type_lacks_is_405_with_allow(
    client: httpx.AsyncClient,
) -> None:
    put = await client.put("/fhir/AuditEvent/a1", json={"resourceType": "AuditEvent", "id": "a1"})
    post = await client.post("/fhir/Bundle", json={"resourceType": "Bundle"}, headers=FHIR_JSON)

    assert (put.status_code, put.headers["allow"]) == (405, "GET, HEAD")
    assert (post.status_code, post.headers["allow"]) == (405, "GET")


async def test_a_wrong_method_on_an_unknown_type_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/fhir/Nonesuch/1")

    assert response.status_code == 404
    assert "allow" not in response.headers
