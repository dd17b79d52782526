"""What a record query may receive: the candidates, each decided by the consent engine.

A query's candidates are the Patients its criteria match (one search, at most the
query's limit). Each goes through ``ConsentDecider`` with the patient's Consents, for
the sender as requester and recipient and the sender's purpose: a Patient the engine
denies is left out whole, as if it did not exist (an opted-out patient is simply not
found). For QRY^A19 the patient's active Coverages (beneficiary) are decided the same
way, one by one; a denied Coverage is left out of the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson

from server.consent import ConsentDecider, DisclosureRequest, Scope
from server.hl7v2.query.config import RECIPIENT_ROLE, REQUESTER_ROLE, QueryConfig, QuerySender
from server.hl7v2.query.criteria import PatientQuery, QueryKind
from server.search.engine import SearchEngine

# What each answer discloses: minimum necessary (45 CFR 164.502(b)) names these types.
DISCLOSED_TYPES: Final = {
    QueryKind.A19: frozenset({"Patient", "Coverage"}),
    QueryKind.Q22: frozenset({"Patient"}),
}
_PAGE: Final = "200"


@dataclass(frozen=True, slots=True)
class Released:
    """One patient of an answer and the Coverages that go with it, as stored."""

    patient: dict[str, Any]
    coverages: list[dict[str, Any]]


async def _current(
    engine: SearchEngine, resource_type: str, params: Sequence[tuple[str, str]]
) -> list[dict[str, Any]]:
    """Every current resource matching ``params``, read page by page."""
    parsed = engine.parse(resource_type, [*params, ("_count", _PAGE)], lenient=False)
    found: list[dict[str, Any]] = []
    while True:
        result = await engine.run(parsed)
        found += [orjson.loads(v.body) for v in result.page.versions if v.body is not None]
        if result.page.next_cursor is None:
            return found
        parsed.cursor = result.page.next_cursor


async def released_patients(
    engine: SearchEngine,
    query: PatientQuery,
    sender: QuerySender,
    config: QueryConfig,
    now: datetime,
) -> list[Released]:
    """The candidates of ``query`` the consent engine lets ``sender`` receive, in order.

    Raises ``server.errors.InvalidRequest`` when the criteria are no valid search.
    """
    parsed = engine.parse("Patient", [*query.params, ("_count", str(query.limit))], lenient=False)
    candidates = (await engine.run(parsed)).page.versions
    released: list[Released] = []
    for version in candidates:
        if version.body is None:
            continue
        patient: dict[str, Any] = orjson.loads(version.body)
        reference = f"Patient/{version.id}"
        consents = await _current(engine, "Consent", [("patient", reference)])
        request = DisclosureRequest(
            patient_id=version.id,
            requester=sender.party(REQUESTER_ROLE),
            recipient=sender.party(RECIPIENT_ROLE),
            purpose=sender.purpose,
            now=now,
            scope=Scope(DISCLOSED_TYPES[query.kind]),
        )
        decider = ConsentDecider(request, consents, config.policy)
        if not decider.decide(patient).permitted:
            continue
        coverages: list[dict[str, Any]] = []
        if query.kind is QueryKind.A19:
            held = await _current(
                engine, "Coverage", [("beneficiary", reference), ("status", "active")]
            )
            coverages = [c for c in held if decider.decide(c).permitted]
        released.append(Released(patient, coverages))
    return released
