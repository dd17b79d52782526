"""An import report (``fhirport hl7 import --report``) opened in the workbench.

The report is a file on the migration engineer's machine, not something the server
keeps: the workbench reads the uploaded file and shows its totals, the messages that
failed (each a link to its ledger entry, read through the API) and the vocabulary gaps
(server.hl7v2.ingest.report and gaps describe the shape).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

__all__ = ["Failure", "Gap", "ImportReportView", "ReportError", "read_report"]

# What an operator must look at: refused messages (server.hl7v2.ingest.model.Outcome).
_FAILED = ("rejected", "failed")


class ReportError(ValueError):
    """The upload is not an import report."""


@dataclass(frozen=True, slots=True)
class Failure:
    """A refused message: where it was, what it was, and why."""

    file: str
    index: int
    sender: str
    control_id: str
    message_type: str
    outcome: str
    reason: str
    location: str


@dataclass(frozen=True, slots=True)
class Gap:
    """A local code no vocabulary maps: per sender and table, with where it came first."""

    sender: str
    table: str
    code: str
    count: int
    first_control_id: str
    system: str


@dataclass(frozen=True, slots=True)
class ImportReportView:
    """The report's totals, failures and gaps."""

    dry_run: bool
    files: tuple[str, ...]
    elapsed_seconds: float
    messages: int
    by_outcome: tuple[tuple[str, int], ...]
    by_message_type: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]
    resources: tuple[tuple[str, int], ...]
    failures: tuple[Failure, ...]
    gaps: tuple[Gap, ...]


def _counts(value: Any) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, dict):
        return ()
    return tuple((str(k), int(v)) for k, v in value.items() if isinstance(v, int))


def _failure(record: dict[str, Any]) -> Failure:
    return Failure(
        str(record.get("file") or ""),
        int(record.get("index") or 0),
        str(record.get("sender") or ""),
        str(record.get("control_id") or ""),
        str(record.get("message_type") or ""),
        str(record.get("outcome") or ""),
        str(record.get("reason") or ""),
        str(record.get("error_location") or ""),
    )


def _gap(gap: dict[str, Any]) -> Gap:
    first = gap.get("first_message") if isinstance(gap.get("first_message"), dict) else {}
    return Gap(
        str(gap.get("sender") or ""),
        str(gap.get("table") or ""),
        str(gap.get("code") or ""),
        int(gap.get("count") or 0),
        str((first or {}).get("control_id") or ""),
        str(gap.get("system") or ""),
    )


def read_report(data: bytes) -> ImportReportView:
    """Read an import report; raise ReportError when the bytes are not one."""
    try:
        report = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ReportError("The file is not JSON: choose the file --report wrote.") from None
    if not isinstance(report, dict) or not isinstance(report.get("totals"), dict):
        raise ReportError("The file is not an import report (fhirport hl7 import --report).")
    totals = report["totals"]
    records = [m for m in report.get("messages") or () if isinstance(m, dict)]
    by_type = totals.get("by_message_type")
    by_type = by_type if isinstance(by_type, dict) else {}
    try:
        return ImportReportView(
            dry_run=bool(report.get("dry_run")),
            files=tuple(str(f) for f in report.get("files") or ()),
            elapsed_seconds=float(report.get("elapsed_seconds") or 0.0),
            messages=int(totals.get("messages") or 0),
            by_outcome=_counts(totals.get("by_outcome")),
            by_message_type=tuple(
                (str(k), _counts(v))
                for k, v in (by_type.items() if isinstance(by_type, dict) else ())
            ),
            resources=_counts(totals.get("resources")),
            failures=tuple(_failure(m) for m in records if m.get("outcome") in _FAILED),
            gaps=tuple(_gap(g) for g in report.get("vocabulary_gaps") or () if isinstance(g, dict)),
        )
    except (TypeError, ValueError):
        raise ReportError("The import report is damaged: a count is not a number.") from None
