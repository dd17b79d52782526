"""``Patient/$merge`` (the R5 operation's parameters) through the HL7v2 merge's own code.

A clerk's merge is planned and written exactly like an ADT^A40: the request becomes a
prepared message whose mapping holds the merge (and the ``result-patient``, if sent),
so the record moves the same way (ingest_repoint), the ledger keeps the request
(sender ``fhirport|$merge``), and ``preview`` is the pipeline's dry run.

A source already merged is a 422, whether it was merged before the request or by a
merge that committed while the request ran (another ``$merge`` or an ADT^A40, in this
process or another on the same store): the store's compare-and-swap makes the later
merge plan again, and it then finds nothing left to move. The losing request's ledger
entry stays, recording that it changed nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from mappers.result import Action, MappingResult
from server.errors import BusinessRuleViolation, InvalidRequest
from server.fhir.clock import now_us
from server.hl7v2.ingest.identity import replaced_by
from server.hl7v2.ingest.model import Header, IngestOutcome, Prepared
from server.hl7v2.ingest.service import Ingestor
from server.interactions import ResourceService

SENDER = "fhirport|$merge"
MESSAGE_TYPE = "Patient/$merge"
_WHERE = "Parameters.parameter"


@dataclass(frozen=True, slots=True)
class MergeRequest:
    """What a ``$merge`` Parameters body asks for."""

    source: str  # the retired Patient's id
    target: str  # the surviving Patient's id
    result: dict[str, Any] | None  # the survivor's content after the merge, if sent
    preview: bool


def merge_request(parameters: dict[str, Any]) -> MergeRequest:
    """Read the R5 parameters source-patient, target-patient, result-patient, preview."""
    if parameters.get("resourceType") != "Parameters":
        raise InvalidRequest("$merge takes a Parameters resource", expression="resourceType")
    named: dict[str, dict[str, Any]] = {}
    for parameter in parameters.get("parameter") or ():
        if isinstance(parameter, dict) and isinstance(parameter.get("name"), str):
            named[parameter["name"]] = parameter
    source = _patient_id(named, "source-patient")
    target = _patient_id(named, "target-patient")
    if source == target:
        raise BusinessRuleViolation("A Patient cannot be merged into itself", expression=_WHERE)
    result = named.get("result-patient", {}).get("resource")
    if result is not None and (not isinstance(result, dict) or result.get("id") != target):
        raise InvalidRequest(
            "result-patient must be the target Patient (same id) as it is after the merge",
            expression=_WHERE,
        )
    preview = named.get("preview", {}).get("valueBoolean", False)
    if not isinstance(preview, bool):
        raise InvalidRequest("preview must be a valueBoolean", expression=_WHERE)
    return MergeRequest(source, target, result, preview)


def _patient_id(named: dict[str, dict[str, Any]], name: str) -> str:
    reference = named.get(name, {}).get("valueReference", {}).get("reference")
    if not isinstance(reference, str) or not reference.startswith("Patient/"):
        raise InvalidRequest(
            f"$merge needs {name} as a valueReference to a Patient (Patient/id)",
            expression=_WHERE,
        )
    return reference.removeprefix("Patient/")


async def merge_patients(
    service: ResourceService, ingestor: Ingestor, request: MergeRequest, raw: bytes
) -> IngestOutcome:
    """Merge (or, with ``preview``, plan the merge of) source into target."""
    source = await service.read("Patient", request.source)  # 404 / 410
    await service.read("Patient", request.target)
    if source.body is not None and replaced_by(_json(source.body)) is not None:
        raise BusinessRuleViolation(
            f"Patient/{request.source} was already merged", expression=_WHERE
        )
    result = MappingResult(merges=[(request.target, request.source)])
    if request.result is not None:
        result.add(dict(request.result), Action.UPSERT)
    header = Header(SENDER, str(uuid.uuid4()), MESSAGE_TYPE, now_us(), raw)
    prepared = Prepared(header, result=result)
    outcome = await ingestor.apply(prepared, dry_run=request.preview)
    retired = f"Patient/{request.source}"
    if outcome.outcome.accepted and not any(
        t.reference == retired and t.change.writes for t in outcome.touched
    ):
        # Another merge of the source (a racing $merge or ADT^A40, here or in another
        # process) committed after the check above: the plan found it retired already.
        raise BusinessRuleViolation(f"{retired} was already merged", expression=_WHERE)
    return outcome


def _json(body: bytes) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads(body)
    return document
