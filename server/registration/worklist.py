"""``Patient/$registration-worklist?date=``: the day's patients whose registration fails.

The answer is one Parameters: ``date``, ``checked`` (patients with appointments that
day), then a ``patient`` parameter per failing patient, whose parts are the patient
(``patient``, a reference with the name as display), each of its appointments that day
(``appointment``) and its check (``issues``, the OperationOutcome of
``$registration-check``). Patients come in the order of their first appointment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from server.registration.check import check, outcome
from server.registration.facts import gather
from server.reminders.message import actors, person_name
from server.search.engine import SearchEngine
from server.search.query import Clause, SearchQuery
from server.storage.port import Store

# An appointment that still brings the patient in (not cancelled, no-show, waitlist).
VISITING = "proposed,pending,booked,arrived,fulfilled,checked-in"
_PAGE = 500


async def _appointments_by_patient(
    store: Store, search: SearchEngine, day: str, restrict: Sequence[Clause]
) -> dict[str, list[str]]:
    """Each patient with an appointment on ``day``: ``Patient/id`` -> appointment ids."""
    params = [("date", day), ("status", VISITING), ("_sort", "date")]
    parsed = search.parse("Appointment", params, lenient=False)
    clauses = (*parsed.clauses, *restrict)
    found: dict[str, list[str]] = {}
    cursor: str | None = None
    while True:
        query = SearchQuery("Appointment", clauses, tuple(parsed.sort), _PAGE, cursor)
        page = await store.search(query)
        for version in page.versions:
            patient = actors(orjson.loads(version.body or b"{}")).get("Patient")
            if patient is not None:
                found.setdefault(patient, []).append(version.id)
        if (cursor := page.next_cursor) is None:
            return found


async def worklist(
    store: Store, search: SearchEngine, day: str, restrict: dict[str, Sequence[Clause]]
) -> dict[str, Any]:
    """The Parameters of the patients seen on ``day`` whose registration check fails."""
    visits = await _appointments_by_patient(store, search, day, restrict.get("Appointment", ()))
    keys = [("Patient", ref.split("/", 1)[1]) for ref in visits]
    stored = await store.read_many(keys)
    patients = [orjson.loads(v.body) for k in keys if (v := stored.get(k)) and v.body]
    parameters: list[dict[str, Any]] = [
        {"name": "date", "valueDate": day},
        {"name": "checked", "valueInteger": len(patients)},
    ]
    for facts in await gather(store, search, patients, restrict):
        findings = check(facts)
        if not findings:
            continue
        reference = f"Patient/{facts.patient['id']}"
        who: dict[str, Any] = {"reference": reference}
        if (display := person_name(facts.patient)) is not None:
            who["display"] = display
        parts: list[dict[str, Any]] = [{"name": "patient", "valueReference": who}]
        parts += [
            {"name": "appointment", "valueReference": {"reference": f"Appointment/{a}"}}
            for a in visits[reference]
        ]
        parts.append({"name": "issues", "resource": outcome(findings)})
        parameters.append({"name": "patient", "part": parts})
    return {"resourceType": "Parameters", "parameter": parameters}
