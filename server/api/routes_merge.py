"""``POST /fhir/Patient/$merge``: a clerk's merge of duplicate patients (R5's parameters).

It runs the HL7v2 merge's own code (server.hl7v2.ingest.merge_request), so the record
moves exactly as for an ADT^A40. Answers the R5 output: ``input``, ``outcome`` and
``result`` (the survivor as it is, or with ``preview`` as it would be).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from server.api.allow import serves
from server.api.dependencies import Access, AppSettings, Hl7Ingestor, Service
from server.api.negotiation import require_body_type, response_format
from server.api.request_body import read_body
from server.api.responses import fhir_response
from server.api.route_table import Row
from server.audit.draft import audit_touched
from server.auth.operations import require_operation
from server.errors import BusinessRuleViolation
from server.fhir.validation import parse_json_object
from server.hl7v2.ingest.merge_request import merge_patients, merge_request
from server.hl7v2.ingest.model import IngestOutcome
from server.registry import Interaction


@serves(Interaction.UPDATE, "Patient", "merge")
async def patient_merge(
    request: Request,
    settings: AppSettings,
    service: Service,
    ingestor: Hl7Ingestor,
    access: Access,
) -> Response:
    """Merge source-patient into target-patient (or only show it, with preview)."""
    require_operation(access, "merge")
    require_body_type(request)
    raw = await read_body(request, settings.max_body_bytes)
    parameters = parse_json_object(raw)
    asked = merge_request(parameters)
    outcome = await merge_patients(service, ingestor, asked, raw)
    if not outcome.outcome.accepted:
        raise BusinessRuleViolation(
            f"The merge was not applied: {outcome.reason}", expression="Parameters.parameter"
        )
    if not asked.preview:
        audit_touched([t.reference for t in outcome.written])
    reference = f"Patient/{asked.target}"
    survivor = dict(outcome.planned).get(reference) if asked.preview else None
    if survivor is None:
        stored = await service.read("Patient", asked.target)
        survivor = orjson.loads(stored.body or b"{}")
    answer = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "input", "resource": parameters},
            {"name": "outcome", "resource": _operation_outcome(outcome, asked.preview)},
            {"name": "result", "resource": survivor},
        ],
    }
    return fhir_response(answer, response_format(request))


def _operation_outcome(outcome: IngestOutcome, preview: bool) -> dict[str, Any]:
    moved = outcome.planned if preview else [(t.reference, None) for t in outcome.written]
    verb = "would write" if preview else "wrote"
    issues = [
        {
            "severity": "information",
            "code": "informational",
            "diagnostics": f"The merge {verb} {len(moved)} resources: "
            + ", ".join(reference for reference, _ in moved),
        },
        *(
            {"severity": "warning", "code": "informational", "diagnostics": warning}
            for warning in outcome.warnings
        ),
    ]
    return {"resourceType": "OperationOutcome", "issue": issues}


ROUTES = (Row("/Patient/$merge", ("POST",), patient_merge),)
