"""What the status endpoint answers (export.md, "Bulk Data Status Request")."""

from __future__ import annotations

from typing import Any

from server.bulk.job import ExportJob, OutputFile
from server.fhir.clock import fhir_instant

# The system-level path segments of a job's status and of its files.
STATUS_SEGMENT = "$export-status"
FILE_SEGMENT = "$export-file"


def file_url(base: str, job_id: str, name: str) -> str:
    """Where a job's file is downloaded from (``base``: the public FHIR base URL)."""
    return f"{base}/{FILE_SEGMENT}/{job_id}/{name}"


def status_url(base: str, job_id: str) -> str:
    """Where a job's status is polled (the kick-off's Content-Location)."""
    return f"{base}/{STATUS_SEGMENT}/{job_id}"


def manifest(job: ExportJob, base: str) -> dict[str, Any]:
    """The completion manifest of a completed job."""

    def entry(f: OutputFile) -> dict[str, Any]:
        return {"type": f.type, "url": file_url(base, job.id, f.file), "count": f.count}

    return {
        "transactionTime": fhir_instant(job.transaction_time),
        "request": job.request,
        "requiresAccessToken": job.requires_token,
        "output": [entry(f) for f in job.output],
        "error": [entry(f) for f in job.errors],
    }


def progress(job: ExportJob) -> str:
    """The X-Progress of a running job: how far it got."""
    if job.current_type is None:
        return "queued"
    position = job.types.index(job.current_type) + 1
    return (
        f"{job.done} resources written; exporting {job.current_type} "
        f"(type {position} of {len(job.types)})"
    )
