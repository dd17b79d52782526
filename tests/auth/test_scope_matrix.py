"""The scope matrix: each interaction x v1/v2 scope x patient/user/system context -> status.

Data: Patient p1 and p2, Organization org1, Claim c1 (p1's), c2 (p2's), c3 (p2's, with
p1 as payee: in both compartments). Patient tokens are launched for p1. Each case runs
with the scope in v1 and in v2 syntax, on each store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.auth.smart_app import bearer, claim, organization, patient, put_all, smart_client

PATCH = "application/json-patch+json"

# name -> (method, path, body)
REQUESTS: dict[str, tuple[str, str, Any]] = {
    "read-c1": ("GET", "/fhir/Claim/c1", None),
    "read-c2": ("GET", "/fhir/Claim/c2", None),
    "read-c3": ("GET", "/fhir/Claim/c3", None),
    "read-missing": ("GET", "/fhir/Claim/nope", None),
    "vread-c1": ("GET", "/fhir/Claim/c1/_history/1", None),
    "vread-c2": ("GET", "/fhir/Claim/c2/_history/1", None),
    "search": ("GET", "/fhir/Claim", None),
    "search-post": ("POST", "/fhir/Claim/_search", None),
    "history-c1": ("GET", "/fhir/Claim/c1/_history", None),
    "history-c2": ("GET", "/fhir/Claim/c2/_history", None),
    "history-type": ("GET", "/fhir/Claim/_history", None),
    "history-system": ("GET", "/fhir/_history", None),
    "compartment": ("GET", "/fhir/Patient/p1/Claim", None),
    "create-p1": ("POST", "/fhir/Claim", claim("new", "p1")),
    "create-p2": ("POST", "/fhir/Claim", claim("new", "p2")),
    "update-c1": ("PUT", "/fhir/Claim/c1", claim("c1", "p1", status="cancelled")),
    "update-c1-to-p2": ("PUT", "/fhir/Claim/c1", claim("c1", "p2")),
    "update-c2": ("PUT", "/fhir/Claim/c2", claim("c2", "p2", status="cancelled")),
    "patch-c1": (
        "PATCH",
        "/fhir/Claim/c1",
        [{"op": "replace", "path": "/status", "value": "cancelled"}],
    ),
    "patch-c1-to-p2": (
        "PATCH",
        "/fhir/Claim/c1",
        [{"op": "replace", "path": "/patient/reference", "value": "Patient/p2"}],
    ),
    "patch-c2": (
        "PATCH",
        "/fhir/Claim/c2",
        [{"op": "replace", "path": "/status", "value": "cancelled"}],
    ),
    "delete-c1": ("DELETE", "/fhir/Claim/c1", None),
    "delete-c2": ("DELETE", "/fhir/Claim/c2", None),
    "conditional-delete": ("DELETE", "/fhir/Claim?status=active", None),
    "read-org": ("GET", "/fhir/Organization/org1", None),
    "search-org": ("GET", "/fhir/Organization", None),
    "create-org": ("POST", "/fhir/Organization", organization("x")),
    "read-p1": ("GET", "/fhir/Patient/p1", None),
    "read-p2": ("GET", "/fhir/Patient/p2", None),
    "chain-to-patient": ("GET", "/fhir/Claim?patient.name=doe", None),
    "has-claim": ("GET", "/fhir/Patient?_has:Claim:patient:status=active", None),
}

# (v1 scope, v2 scope, launch patient) per context
PATIENT_READ = ("patient/Claim.read", "patient/Claim.rs", "p1")
PATIENT_ALL = ("patient/*.*", "patient/*.cruds", "p1")
PATIENT_WRITE = ("patient/Claim.write", "patient/Claim.cud", "p1")
USER_READ = ("user/Claim.read", "user/Claim.rs", None)
USER_ALL = ("user/*.*", "user/*.cruds", None)
SYSTEM_WRITE = ("system/Claim.write", "system/Claim.cud", None)
SYSTEM_READ = ("system/*.read", "system/*.rs", None)
NO_RESOURCES = ("openid fhirUser launch/patient", "openid fhirUser offline_access", None)

MATRIX: dict[str, tuple[tuple[str, str, str | None], dict[str, int]]] = {
    "patient-read": (
        PATIENT_READ,
        {
            "read-c1": 200, "read-c2": 404, "read-c3": 200, "read-missing": 404,
            "vread-c1": 200, "vread-c2": 404, "search": 200, "search-post": 200,
            "history-c1": 200, "history-c2": 404, "history-type": 200, "history-system": 200,
            "compartment": 200, "create-p1": 403, "update-c1": 403, "patch-c1": 403,
            "delete-c1": 403, "read-org": 403, "read-p1": 403, "chain-to-patient": 403,
            "has-claim": 403,
        },
    ),
    "patient-all": (
        PATIENT_ALL,
        {
            "read-c1": 200, "read-c2": 404, "read-p1": 200, "read-p2": 404,
            "read-org": 200, "search-org": 200, "create-org": 403,
            "create-p1": 201, "create-p2": 403, "update-c1": 200, "update-c1-to-p2": 403,
            "update-c2": 403, "patch-c1": 200, "patch-c1-to-p2": 403, "patch-c2": 403,
            "delete-c1": 204, "delete-c2": 403, "conditional-delete": 403,
            "chain-to-patient": 200, "has-claim": 200, "history-system": 200,
        },
    ),
    "patient-write": (
        PATIENT_WRITE,
        {
            "read-c1": 403, "search": 403, "history-type": 403, "create-p1": 201,
            "create-p2": 403, "update-c1": 200, "update-c2": 403, "delete-c1": 204,
            "delete-c2": 403,
        },
    ),
    "user-read": (
        USER_READ,
        {
            "read-c1": 200, "read-c2": 200, "vread-c2": 200, "search": 200,
            "history-c2": 200, "history-type": 200, "history-system": 200,
            "compartment": 200, "create-p1": 403, "update-c2": 403, "delete-c2": 403,
            "read-org": 403, "chain-to-patient": 403,
        },
    ),
    "user-all": (
        USER_ALL,
        {
            "read-c2": 200, "read-org": 200, "create-p2": 201, "create-org": 201,
            "update-c2": 200, "patch-c2": 200, "delete-c2": 204, "conditional-delete": 412,
            "chain-to-patient": 200, "has-claim": 200,
        },
    ),
    "system-write": (
        SYSTEM_WRITE,
        {
            "read-c1": 403, "search": 403, "history-system": 403, "create-p2": 201,
            "update-c2": 200, "delete-c2": 204, "read-org": 403,
        },
    ),
    "system-read": (
        SYSTEM_READ,
        {
            "read-c2": 200, "read-org": 200, "search": 200, "history-system": 200,
            "create-p1": 403, "delete-c2": 403, "has-claim": 200,
        },
    ),
    "no-resource-scopes": (
        NO_RESOURCES,
        {
            "read-c1": 403, "search": 403, "history-system": 403, "create-p1": 403,
            "read-missing": 403,
        },
    ),
}  # fmt: skip

CASES = [
    pytest.param(context, syntax, name, expected, id=f"{context}-{syntax}-{name}")
    for context, (_, statuses) in MATRIX.items()
    for syntax in ("v1", "v2")
    for name, expected in statuses.items()
]


@pytest.fixture
async def http(store_url: str, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with smart_client(store_url, tmp_path) as client:
        await put_all(
            client,
            [
                patient("p1"),
                patient("p2"),
                organization("org1"),
                claim("c1", "p1"),
                claim("c2", "p2"),
                claim("c3", "p2", payee="p1"),
            ],
        )
        yield client


@pytest.mark.anyio
@pytest.mark.parametrize(("context", "syntax", "name", "expected"), CASES)
async def test_scope_matrix(
    http: httpx.AsyncClient, context: str, syntax: str, name: str, expected: int
) -> None:
    v1, v2, launch = MATRIX[context][0]
    headers = bearer(v1 if syntax == "v1" else v2, launch)
    method, path, body = REQUESTS[name]
    if method == "PATCH":
        headers["Content-Type"] = PATCH
    if name == "search-post":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    response = await http.request(method, path, json=body, headers=headers)
    assert response.status_code == expected, response.text
    if expected == 403:
        assert response.json()["issue"][0]["code"] == "forbidden"
