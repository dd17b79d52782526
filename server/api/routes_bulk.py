"""Bulk Data export over HTTP (HL7 FHIR Bulk Data Access IG v2, export.md).

Kick-off ``GET``/``POST`` at ``/fhir/$export``, ``/fhir/Patient/$export`` and
``/fhir/Group/{id}/$export`` (``Prefer: respond-async`` required) answers 202 with the
job's status URL in ``Content-Location``; ``/fhir/$export-status/{job}`` answers 202
with ``X-Progress`` and ``Retry-After`` while it runs, then the manifest, and ``DELETE``
cancels; ``/fhir/$export-file/{job}/{file}`` serves the files. Every URL is built from
the public base (server.api.public_urls), never from a Host the server does not answer
to.

Access, when the server runs ``--auth smart`` (``requiresAccessToken`` is then true):
the kick-off needs read on every type it exports (without ``_type``: the types the
token may read); a token whose scopes confine an exported type to its launch patient
(``patient/`` scopes) may export only at the Patient or Group level, and gets only
what its scopes reach, that patient's compartment (SMART Backend Services clients
hold ``system/`` scopes and export everything they may read). Status, cancel and
downloads are for the client that kicked the job off; a download needs read on the
file's type too. The audit middleware records the kick-off and each download as
operation AuditEvents (server.audit).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from server.api.dependencies import Access, AppSettings, Exports, Service
from server.api.negotiation import response_format
from server.api.prefer import lenient_handling, respond_async
from server.api.public_urls import FHIR_PREFIX, public_base
from server.api.request_body import read_body
from server.api.responses import fhir_response
from server.api.route_table import Row
from server.auth import access as access_rules
from server.bulk.job import ExportJob, State
from server.bulk.manifest import FILE_SEGMENT, STATUS_SEGMENT, manifest, progress, status_url
from server.bulk.request import ExportRequest, Level, parameters_body, parse_export
from server.bulk.runner import RETRY_AFTER_S
from server.errors import Forbidden, InvalidRequest, Issue, NotFound, operation_outcome
from server.fhir.clock import http_date, now_us
from server.fhir.validation import parse_json_object
from server.search.compartments import compartment_clause

NDJSON = "application/fhir+ndjson"


async def export_system(
    request: Request, settings: AppSettings, access: Access, exports: Exports
) -> Response:
    """Kick off an export of every type the server holds."""
    return await _kick_off(request, settings, access, exports, Level.SYSTEM, None)


async def export_patients(
    request: Request, settings: AppSettings, access: Access, exports: Exports
) -> Response:
    """Kick off an export of every patient's records."""
    return await _kick_off(request, settings, access, exports, Level.PATIENT, None)


async def export_group(
    request: Request,
    group_id: str,
    settings: AppSettings,
    access: Access,
    exports: Exports,
    service: Service,
) -> Response:
    """Kick off an export of the records of a Group's members."""
    access.require("Group", "r")
    await service.read("Group", group_id)  # 404 or 410 before a job exists
    return await _kick_off(request, settings, access, exports, Level.GROUP, group_id)


async def _kick_off(
    request: Request,
    settings: AppSettings,
    access: access_rules.Access,
    exports: Exports,
    level: Level,
    group: str | None,
) -> Response:
    answer_format = response_format(request)  # a 406 before any job starts
    if not respond_async(request):
        raise InvalidRequest(
            "$export runs asynchronously: send the header Prefer: respond-async",
            expression="Prefer",
        )
    params = list(request.query_params.multi_items())
    if request.method == "POST":
        raw = await read_body(request, settings.max_body_bytes)
        params += parameters_body(parse_json_object(raw))
    asked = _permitted(
        access, parse_export(level, group, params, lenient=lenient_handling(request))
    )
    base = public_base(request)
    asked_url = base + request.url.path.removeprefix(FHIR_PREFIX)
    if request.url.query:
        asked_url += f"?{request.url.query}"
    job = ExportJob.new(exports.new_id(), asked, asked_url, now_us(), access.claims)
    await exports.submit(job)
    issues = [Issue(f"Export {job.id} accepted", "informational", "information")]
    if asked.ignored:
        ignored = ", ".join(asked.ignored)
        issues.append(Issue(f"Ignored (not supported): {ignored}", "not-supported", "warning"))
    return fhir_response(
        operation_outcome(issues),
        answer_format,
        202,
        {"Content-Location": status_url(base, job.id)},
    )


def _permitted(access: access_rules.Access, asked: ExportRequest) -> ExportRequest:
    """The request narrowed to what the token may read; 403 for what it may not."""
    if access.claims is None:
        return asked
    types = tuple(t for t in asked.types if access.allows(t, "r"))
    if not types:
        raise Forbidden("The access token's scopes allow reading none of the exported types")
    patient = access.patient
    if asked.level is Level.SYSTEM and patient is not None:
        for resource_type in types:
            clause = compartment_clause("Patient", patient, resource_type)
            if clause.any_of and clause in access.restrictions(resource_type, "r"):
                raise Forbidden(
                    "A token confined to a patient's records (patient/ scopes) may export "
                    "them with Patient/$export, not the whole system"
                )
    return ExportRequest(
        asked.level, asked.group, types, asked.since, asked.output_format, asked.ignored
    )


async def _owned_job(job_id: str, access: access_rules.Access, exports: Exports) -> ExportJob:
    job = await exports.job(job_id)
    if job is None:
        raise NotFound(f"There is no export {job_id!r} (unknown, cancelled or expired)")
    owner = job.claims
    claims = access.claims
    if (
        owner is not None
        and claims is not None
        and (owner.issuer, owner.client_id)
        != (
            claims.issuer,
            claims.client_id,
        )
    ):
        raise Forbidden("This export was started by another client")
    return job


async def export_status(
    request: Request, job_id: str, access: Access, exports: Exports
) -> Response:
    """The job's progress, its manifest, or its failure."""
    job = await _owned_job(job_id, access, exports)
    if job.state in (State.ACCEPTED, State.IN_PROGRESS):
        headers = {"X-Progress": progress(job), "Retry-After": str(RETRY_AFTER_S)}
        return Response(status_code=202, headers=headers)
    if job.state is State.FAILED:
        outcome = operation_outcome(
            [Issue(job.failure or "The export failed", "exception", "fatal")]
        )
        return fhir_response(outcome, response_format(request), 500)
    headers = {"Expires": http_date(job.expires)} if job.expires is not None else {}
    return Response(
        orjson.dumps(manifest(job, public_base(request))),
        200,
        headers,
        media_type="application/json",
    )


async def export_cancel(job_id: str, access: Access, exports: Exports) -> Response:
    """Cancel a job (running or done) and delete its files."""
    await _owned_job(job_id, access, exports)
    await exports.cancel(job_id)
    body: dict[str, Any] = operation_outcome(
        [Issue(f"Export {job_id} cancelled; its files are deleted", "informational", "information")]
    )
    return Response(orjson.dumps(body), 202, media_type="application/fhir+json")


async def export_file(job_id: str, file_name: str, access: Access, exports: Exports) -> Response:
    """One of a completed job's files, as ndjson."""
    job = await _owned_job(job_id, access, exports)
    listed = {f.file: f for f in (*job.output, *job.errors)}
    found = listed.get(file_name) if job.state is State.COMPLETED else None
    if found is None:
        raise NotFound(f"Export {job_id} has no file {file_name!r}")
    access.require(found.type, "r")
    return FileResponse(exports.folder(job_id) / found.file, media_type=NDJSON)


ROUTES = (
    # A row per method: one OpenAPI operation id each.
    *(Row("/$export", (method,), export_system) for method in ("GET", "POST")),
    *(Row("/Patient/$export", (method,), export_patients) for method in ("GET", "POST")),
    *(Row("/Group/{group_id:id}/$export", (method,), export_group) for method in ("GET", "POST")),
    Row(f"/{STATUS_SEGMENT}/{{job_id}}", ("GET",), export_status),
    Row(f"/{STATUS_SEGMENT}/{{job_id}}", ("DELETE",), export_cancel),
    Row(f"/{FILE_SEGMENT}/{{job_id}}/{{file_name}}", ("GET",), export_file),
)
