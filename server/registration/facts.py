"""What registration checks about patients: each one, its coverages and its consents.

For many patients at once (the worklist) the coverages and consents are read with one
search per chunk of patients (``beneficiary=Patient/a,Patient/b,...``), paged to the end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from server.scheduling.appointment import local_reference
from server.search.engine import SearchEngine
from server.search.query import Clause, SearchQuery
from server.storage.port import Store

TREATMENT = "http://terminology.hl7.org/CodeSystem/consentscope|treatment"
_CHUNK = 50
_PAGE = 500


@dataclass(frozen=True, slots=True)
class PatientFacts:
    """A patient and the coverages and consents on file for it, as of ``today``."""

    patient: dict[str, Any]
    today: str
    coverages: tuple[dict[str, Any], ...] = ()
    consents: tuple[dict[str, Any], ...] = ()


async def _search(
    store: Store,
    search: SearchEngine,
    resource_type: str,
    params: list[tuple[str, str]],
    restrict: Sequence[Clause],
) -> list[dict[str, Any]]:
    clauses = (*search.parse(resource_type, params, lenient=False).clauses, *restrict)
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = await store.search(SearchQuery(resource_type, clauses, (), _PAGE, cursor))
        found += [orjson.loads(v.body) for v in page.versions if v.body is not None]
        if (cursor := page.next_cursor) is None:
            return found


def _by_patient(resources: list[dict[str, Any]], element: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for resource in resources:
        named = resource.get(element)
        reference = local_reference(named.get("reference")) if isinstance(named, dict) else None
        if reference is not None:
            grouped[reference].append(resource)
    return grouped


async def gather(
    store: Store,
    search: SearchEngine,
    patients: Sequence[dict[str, Any]],
    restrict: dict[str, Sequence[Clause]] | None = None,
    today: str | None = None,
) -> list[PatientFacts]:
    """The facts of each of ``patients`` (stored Patient bodies), in their order.

    ``restrict``: clauses each search of a type is ANDed with (the token's access).
    """
    restrict = restrict or {}
    today = today or date.today().isoformat()
    references = [f"Patient/{p['id']}" for p in patients]
    coverages: dict[str, list[dict[str, Any]]] = defaultdict(list)
    consents: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for at in range(0, len(references), _CHUNK):
        chunk = ",".join(references[at : at + _CHUNK])
        asks = (
            ("Coverage", [("beneficiary", chunk)], "beneficiary", coverages),
            ("Consent", [("patient", chunk), ("scope", TREATMENT)], "patient", consents),
        )
        for resource_type, params, element, into in asks:
            found = await _search(
                store, search, resource_type, params, restrict.get(resource_type, ())
            )
            for reference, resources in _by_patient(found, element).items():
                into[reference] += resources
    return [
        PatientFacts(patient, today, tuple(coverages[ref]), tuple(consents[ref]))
        for patient, ref in zip(patients, references, strict=True)
    ]
