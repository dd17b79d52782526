"""A kick-off request's parameters (export.md, "Query Parameters"), checked.

Supported: ``_outputFormat`` (ndjson in its three spellings), ``_since`` and ``_type``.
Any other parameter is refused with a 400 naming it, unless the client asked for
``Prefer: handling=lenient``; then it is ignored (and said so in the kick-off's
OperationOutcome).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from server.errors import InvalidRequest
from server.fhir.clock import parse_instant
from server.registry import HELD_TYPES
from server.search.compartments import compartment_params

OUTPUT_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
# The server's own log of every access, growing with each request (the export's own
# too): exported only when ``_type`` names it.
ON_REQUEST_ONLY = frozenset({"AuditEvent"})


class Level(StrEnum):
    """Which kick-off endpoint: the whole system, all patients, or one Group's members."""

    SYSTEM = "system"
    PATIENT = "patient"
    GROUP = "group"


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What a kick-off asked for, checked."""

    level: Level
    group: str | None
    types: tuple[str, ...]
    since: int | None
    output_format: str
    ignored: tuple[str, ...] = ()  # unsupported parameters ignored under handling=lenient


def exportable_types(level: Level) -> tuple[str, ...]:
    """The held types an export at ``level`` can hold, in name order."""
    if level is Level.SYSTEM:
        return tuple(sorted(HELD_TYPES))
    members = compartment_params("Patient")
    return tuple(sorted(t for t in HELD_TYPES if t in members or t == "Patient"))


def parse_export(
    level: Level, group: str | None, params: Iterable[tuple[str, str]], *, lenient: bool
) -> ExportRequest:
    """Check the kick-off parameters; InvalidRequest (400) naming the first problem."""
    output_format = "application/fhir+ndjson"
    since: int | None = None
    asked: list[str] = []
    ignored: list[str] = []
    for name, value in params:
        if name == "_outputFormat":
            if value not in OUTPUT_FORMATS:
                raise InvalidRequest(
                    f"_outputFormat {value!r} is not supported; use one of "
                    f"{', '.join(sorted(OUTPUT_FORMATS))}",
                    expression="_outputFormat",
                    code="not-supported",
                )
            output_format = value
        elif name == "_since":
            since = _instant(value)
        elif name == "_type":
            asked += [part.strip() for part in value.split(",") if part.strip()]
        elif lenient:
            ignored.append(name)
        else:
            raise InvalidRequest(
                f"Parameter {name!r} is not supported by this server's $export "
                "(supported: _outputFormat, _since, _type)",
                expression=name,
                code="not-supported",
            )
    return ExportRequest(
        level, group, _types(level, asked), since, output_format, tuple(dict.fromkeys(ignored))
    )


def _instant(value: str) -> int:
    # An instant: a time of day with its zone, not a bare date (export.md, _since).
    if "T" not in value:
        raise InvalidRequest(
            f"_since {value!r} is not a FHIR instant (e.g. 2024-01-01T00:00:00Z)",
            expression="_since",
        )
    try:
        return parse_instant(value)
    except ValueError:
        raise InvalidRequest(
            f"_since {value!r} is not a FHIR instant (e.g. 2024-01-01T00:00:00Z)",
            expression="_since",
        ) from None


def _types(level: Level, asked: Sequence[str]) -> tuple[str, ...]:
    possible = exportable_types(level)
    if not asked:
        return tuple(t for t in possible if t not in ON_REQUEST_ONLY)
    for name in asked:
        if name not in possible:
            where = "held by this server" if level is Level.SYSTEM else "in a patient's record"
            raise InvalidRequest(
                f"_type {name!r} is not a resource type {where}; exportable here: "
                f"{', '.join(possible)}",
                expression="_type",
                code="not-supported",
            )
    return tuple(dict.fromkeys(asked))


def parameters_body(body: Any) -> list[tuple[str, str]]:
    """The (name, value) pairs of a POST kick-off's Parameters resource."""
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise InvalidRequest("A POST $export takes a Parameters resource", expression="Parameters")
    pairs: list[tuple[str, str]] = []
    for n, parameter in enumerate(body.get("parameter") or ()):
        name = parameter.get("name") if isinstance(parameter, dict) else None
        values = [
            v
            for key, v in (parameter.items() if isinstance(parameter, dict) else ())
            if key.startswith("value") and isinstance(v, str)
        ]
        if not isinstance(name, str):
            raise InvalidRequest(
                "Each parameter needs a name", expression=f"Parameters.parameter[{n}]"
            )
        # A value that is no string (patient's valueReference) is for a parameter this
        # server does not support: parse_export names it.
        pairs.append((name, values[0] if values else ""))
    return pairs
