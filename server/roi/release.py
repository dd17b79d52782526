"""``Task/{id}/$release``: decide an ROI request, then store the release and its records at once.

One ``Store.write`` carries the completed Task, the release Bundle, the disclosure
AuditEvent and the Provenance: no release without its disclosure record, no record of a
release that did not happen. The Task's compare-and-swap comes first in that write, so a
request changed meanwhile fails the whole write before anything else is applied, on
every store. When the consent engine permits nothing, nothing is disclosed: the Task is
rejected, with the reasons and the patient's review rights, and no record is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from server.consent import Coding, ConsentDecider, Policy
from server.consent import codes as consent_codes
from server.errors import BusinessRuleViolation, Conflict
from server.fhir.clock import fhir_instant, now_us, to_datetime
from server.interactions import ResourceService, new_id
from server.roi import codes
from server.roi.audit import Disclosure, disclosure_event, release_provenance
from server.roi.request import RoiRequest, is_roi_task, read_roi_task
from server.roi.scope import compartment_versions
from server.roi.selection import Selection, select
from server.roi.task_rules import OPEN, add_review_rights
from server.roi.versions import created, replaced
from server.storage.port import Store, StoredVersion, VersionConflict, Write

_NO_REDISCLOSURE = Coding(consent_codes.V3_ACT_CODE, consent_codes.NORDSCLCD).to_fhir()


@dataclass(frozen=True, slots=True)
class ReleaseOutcome:
    """The Task as stored after the release, what was decided, and what was written."""

    task: StoredVersion
    selection: Selection
    records: dict[str, str]  # output code (release, disclosure, provenance) -> reference


async def release(
    service: ResourceService,
    task_id: str,
    base: str,
    *,
    explain: bool = False,
    policy: Policy | None = None,
) -> ReleaseOutcome:
    """Release what the consent engine permits of an open ROI Task's request."""
    async with service.writers.hold(("Task", task_id)):
        current = await service.read("Task", task_id)
        assert current.body is not None
        task = orjson.loads(current.body)
        request = _releasable(task)
        await _check_authorization(service.store, request)
        now = now_us()
        consents = [
            orjson.loads(v.body)
            async for v in compartment_versions(service.store, request.patient_id, ("Consent",))
            if v.body is not None
        ]
        decider = ConsentDecider(request.disclosure_request(to_datetime(now)), consents, policy)
        selection = await select(service.store, decider, base, explain=explain)
        if selection.released_total:
            writes, records = _release_writes(service, current, task, request, selection, base)
        else:
            writes, records = [replaced(service, current, _rejected(task, selection))], {}
        try:
            await service.store.write(writes)
        except VersionConflict:
            raise Conflict(
                f"Task/{task_id} or a record of its release changed meanwhile; nothing was "
                "released and nothing recorded. Retry."
            ) from None
    return ReleaseOutcome(writes[0].version, selection, records)


def _releasable(task: dict[str, Any]) -> RoiRequest:
    if not is_roi_task(task):
        raise BusinessRuleViolation(
            f"Task/{task.get('id')} is not a release-of-information request",
            expression="Task.code",
        )
    if task.get("status") not in OPEN:
        raise BusinessRuleViolation(
            f"Only an open request (requested, in-progress) is released; this one is "
            f"{task.get('status')}",
            expression="Task.status",
        )
    return read_roi_task(task)


async def _check_authorization(store: Store, request: RoiRequest) -> None:
    """The authorization a request names must be a Consent of the same patient."""
    if request.authorization is None:
        return
    found = await store.read("Consent", request.authorization)
    if found is None or found.body is None:
        raise BusinessRuleViolation(
            f"The authorization Consent/{request.authorization} is not known",
            expression="Task.input",
        )
    patient = (orjson.loads(found.body).get("patient") or {}).get("reference")
    if patient != f"Patient/{request.patient_id}":
        raise BusinessRuleViolation(
            f"The authorization Consent/{request.authorization} is {patient or 'nobody'}'s, "
            f"not Patient/{request.patient_id}'s",
            expression="Task.input",
        )


def _release_writes(
    service: ResourceService,
    current: StoredVersion,
    task: dict[str, Any],
    request: RoiRequest,
    selection: Selection,
    base: str,
) -> tuple[list[Write], dict[str, str]]:
    now = now_us()
    recorded = fhir_instant(now)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": new_id(),
        "type": "collection",
        "timestamp": recorded,
        "entry": selection.entries,
    }
    if selection.labelled:  # the set carries Part 2 data: say so on the envelope too
        bundle["meta"] = {"security": [_NO_REDISCLOSURE]}
    disclosure = Disclosure(
        patient_id=request.patient_id,
        requester=request.requester,
        recipient=request.recipient,
        purpose=request.purpose,
        released=selection.released,
        withheld=selection.denied_total,
        authorizations=tuple(sorted(selection.authorizations)),
        recorded=recorded,
        server=base,
        data={"reference": f"Bundle/{bundle['id']}"},
        request=f"Task/{current.id}",
    )
    bundle_write = created(service, bundle, now, validate=False)
    selection.entries.clear()  # serialized and indexed: the stored bytes are all that is kept
    audit_write = created(service, disclosure_event(disclosure), now)
    provenance_write = created(service, release_provenance(disclosure), now)
    records = {
        codes.RELEASE: f"Bundle/{bundle['id']}",
        codes.DISCLOSURE: f"AuditEvent/{audit_write.version.id}",
        "provenance": f"Provenance/{provenance_write.version.id}",
    }
    task["status"] = "completed"
    task["lastModified"] = recorded
    task["output"] = [
        _output(codes.RELEASE, {"valueReference": {"reference": records[codes.RELEASE]}}),
        _output(codes.DISCLOSURE, {"valueReference": {"reference": records[codes.DISCLOSURE]}}),
        *_counts(selection),
    ]
    # The Task's compare-and-swap first: a stale Task stops the write before the rest.
    task_write = replaced(service, current, task)
    return [task_write, bundle_write, audit_write, provenance_write], records


def _rejected(task: dict[str, Any], selection: Selection) -> dict[str, Any]:
    if selection.denied_total:
        why = ", ".join(f"{basis}: {n}" for basis, n in sorted(selection.denied.items()))
        reason = f"Nothing in scope may be released: {selection.denied_total} withheld ({why})"
    else:
        reason = "No records of the requested types and period were found"
    task["status"] = "rejected"
    task["statusReason"] = {"text": reason}
    task["lastModified"] = fhir_instant(now_us())
    task["output"] = _counts(selection)
    add_review_rights(task)
    return task


def _counts(selection: Selection) -> list[dict[str, Any]]:
    return [
        _output(codes.RELEASED_COUNT, {"valueInteger": selection.released_total}),
        _output(codes.DENIED_COUNT, {"valueInteger": selection.denied_total}),
    ]


def _output(code: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"type": {"coding": [{"system": codes.TASK_TYPE, "code": code}]}, **value}
