"""The patient picker's search: Patients by name, only those the signed-in user may see.

What a user may see is what their own scopes allow (a Practitioner: ``user/Patient.rs``),
decided by the same access rules as every FHIR search (server.auth.access), compiled
into the store's query.
"""

from __future__ import annotations

from typing import Any

import orjson

from server.auth.access import Access
from server.auth.claims import Claims
from server.errors import FhirError
from server.search.engine import SearchEngine
from server.storage.port import Store

PICKER_LIMIT = 20
USER_VISIBILITY = {"Practitioner": "user/Patient.rs"}


def user_access(fhir_user: str, client_id: str, base_urls: tuple[str, ...]) -> Access:
    """What the signed-in user may see of patients, as an Access."""
    scope = USER_VISIBILITY.get(fhir_user.partition("/")[0], "")
    claims = Claims(issuer="", client_id=client_id, scope=scope, expires=0, fhir_user=fhir_user)
    return Access.of(claims, base_urls)


async def find_patients(engine: SearchEngine, access: Access, name: str) -> list[dict[str, Any]]:
    """Up to PICKER_LIMIT Patients whose name matches ``name`` that ``access`` may see."""
    if not name.strip():
        return []
    try:
        confined = access.restrictions("Patient", "s")
        parsed = engine.parse(
            "Patient", [("name", name), ("_count", str(PICKER_LIMIT))], lenient=False
        )
        result = await engine.run(parsed, confined)
    except FhirError:
        return []
    return [orjson.loads(v.body) for v in result.page.versions if v.body is not None]


async def visible_patient(store: Store, access: Access, patient_id: str) -> dict[str, Any] | None:
    """The Patient ``patient_id`` if it exists and ``access`` may read it."""
    if not access.allows("Patient", "r"):
        return None
    version = await store.read("Patient", patient_id)
    if version is None or version.body is None or not access.permits(version, "r"):
        return None
    found: dict[str, Any] = orjson.loads(version.body)
    return found
