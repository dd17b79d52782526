"""An app with access control on (``auth="smart"``) trusting the test issuer, and its data.

``smart_client`` talks to it in-process; ``as_token(scope, patient=...)`` gives the
headers of a request carrying a token from the test issuer (tests.auth.tokens).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from server.settings import Settings
from tests.auth.tokens import auth_settings, issue
from tests.conftest import running_app
from tests.referenced import provide_targets

FHIR_JSON = "application/fhir+json"
ADMIN = "system/*.cruds"


def bearer(scope: str, patient: str | None = None) -> dict[str, str]:
    """Headers with a bearer token for ``scope`` (and the launch ``patient``)."""
    return {"Authorization": f"Bearer {issue(scope, patient=patient)}", "Content-Type": FHIR_JSON}


@asynccontextmanager
async def smart_client(
    store_url: str, tmp_path: Path, audit: str = "off"
) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client of an app that runs ``--auth smart`` (and ``--audit audit``)."""
    settings = Settings(
        store=store_url,
        seed=False,
        host="127.0.0.1",
        port=8080,
        allowed_hosts=("testserver",),
        auth="smart",
        audit=audit,
        **auth_settings(tmp_path),  # type: ignore[arg-type]
    )
    async with running_app(settings) as http:
        yield http


def patient(pid: str, family: str = "Doe") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "name": [{"family": family}]}


def claim(
    cid: str, patient_id: str, payee: str | None = None, status: str = "active"
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Claim",
        "id": cid,
        "status": status,
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/claim-type",
                    "code": "professional",
                }
            ]
        },
        "use": "claim",
        "patient": {"reference": f"Patient/{patient_id}"},
        "created": "2024-01-15",
        "provider": {"reference": "Organization/org1"},
        "priority": {"coding": [{"code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "Coverage/cov1"}}],
    }
    if payee is not None:
        resource["payee"] = {
            "type": {"coding": [{"code": "subscriber"}]},
            "party": {"reference": f"Patient/{payee}"},
        }
    return resource


def organization(oid: str) -> dict[str, Any]:
    return {"resourceType": "Organization", "id": oid, "name": f"Org {oid}"}


async def put_all(http: httpx.AsyncClient, resources: list[dict[str, Any]]) -> None:
    """Store the resources with their ids (an admin token)."""
    headers = bearer(ADMIN)
    # What they refer to and do not hold themselves (references must resolve).
    await provide_targets(http, *resources, headers=headers)
    for resource in resources:
        path = f"/fhir/{resource['resourceType']}/{resource['id']}"
        response = await http.put(path, json=resource, headers=headers)
        assert response.status_code in (200, 201), response.text
