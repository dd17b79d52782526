"""Placeholders for what a test resource refers to, now that references must resolve.

Referential integrity (server.integrity) refuses a write whose references into the
server point at nothing. Tests about something else that refer to a patient, a
practitioner or an organization they never made call ``provide_targets`` first: it
PUTs a minimal resource for each such target the server does not hold yet.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from server.integrity.walk import references
from server.search.references import split_reference

FHIR_JSON = {"Content-Type": "application/fhir+json"}
BASES = ("http://localhost:8080/fhir", "http://127.0.0.1:8080/fhir")

# A minimal valid body of each type a placeholder is made for (its own targets are too).
PLACEHOLDERS: dict[str, dict[str, Any]] = {
    "Patient": {},
    "Organization": {"name": "placeholder"},
    "Practitioner": {},
    "Location": {},
    "Coverage": {
        "status": "active",
        "beneficiary": {"reference": "Patient/placeholder"},
        "payor": [{"reference": "Organization/placeholder"}],
    },
}


async def provide_targets(
    client: httpx.AsyncClient,
    *resources: dict[str, Any],
    skip_own: bool = True,
    headers: dict[str, str] | None = None,
) -> None:
    """PUT a placeholder for each Patient, Organization, Practitioner or Location referred to
    (those among ``resources`` themselves left out unless ``skip_own`` is False: the
    caller writes them, in an order where each comes before what refers to it).
    ``headers``: sent with every request (an admin token where access control is on)."""
    own = {(r.get("resourceType"), r.get("id")) for r in resources} if skip_own else set()
    wanted: dict[tuple[str, str], None] = {}
    for resource in resources:
        for _, reference in references(resource, resource.get("resourceType", "")):
            target_type, target_id, _ = split_reference(reference["reference"], BASES)
            if target_type in PLACEHOLDERS and target_id and (target_type, target_id) not in own:
                wanted[(target_type, target_id)] = None
    for target_type, target_id in wanted:
        url = f"/fhir/{target_type}/{target_id}"
        if (await client.get(url, headers=headers)).status_code == 200:
            continue
        body = {"resourceType": target_type, "id": target_id, **PLACEHOLDERS[target_type]}
        await provide_targets(client, body, headers=headers)
        response = await client.put(
            url, content=orjson.dumps(body), headers={**(headers or {}), **FHIR_JSON}
        )
        assert response.status_code in (200, 201), response.text
