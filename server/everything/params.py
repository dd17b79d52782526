"""The parameters of ``$everything`` (operation-patient-everything): _type, _since, _count, _page.

``start`` and ``end`` (the clinical date range) are not supported: a request naming them is
refused (400), or they are ignored under ``Prefer: handling=lenient``, like an unknown
search parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from server.errors import InvalidRequest
from server.fhir.clock import fhir_instant, parse_instant
from server.registry import HELD_TYPES
from server.search.parse import DEFAULT_COUNT, MAX_COUNT, parse_clause
from server.search.query import Clause

_KNOWN = ("_type", "_since", "_count", "_page")


@dataclass(frozen=True, slots=True)
class EverythingParams:
    """What one ``$everything`` request asks for."""

    types: frozenset[str] | None  # None: every type
    since: Clause | None  # _lastUpdated at or after _since
    count: int
    cursor: str | None
    applied: tuple[tuple[str, str], ...]  # the parameters as understood, for the links


def everything_params(pairs: Sequence[tuple[str, str]], *, lenient: bool) -> EverythingParams:
    """Parse and check the parameters (400 naming the parameter on a bad value)."""
    unknown = sorted({name for name, _ in pairs if name not in _KNOWN})
    if unknown and not lenient:
        raise InvalidRequest(
            f"Unknown or unsupported $everything parameter(s): {', '.join(unknown)}; "
            "this server supports _type, _since, _count and _page",
            expression=unknown,
            code="not-supported",
        )
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    for name in ("_since", "_count", "_page"):
        if len(values.get(name, ())) > 1:
            raise InvalidRequest(f"{name} may be given once", expression=name)
    applied: list[tuple[str, str]] = []
    types = _types(values.get("_type", []))
    if types is not None:
        applied.append(("_type", ",".join(sorted(types))))
    since = None
    if "_since" in values:
        since = _since(values["_since"][0])
        applied.append(("_since", values["_since"][0]))
    count = _count(values.get("_count", [str(DEFAULT_COUNT)])[0])
    applied.append(("_count", str(count)))
    cursor = values["_page"][0] if "_page" in values else None
    return EverythingParams(types, since, count, cursor, tuple(applied))


def _types(raw: list[str]) -> frozenset[str] | None:
    if not raw:
        return None
    names = [name.strip() for value in raw for name in value.split(",")]
    unknown = sorted({name for name in names if name not in HELD_TYPES})
    if unknown:
        raise InvalidRequest(
            f"_type names type(s) this server does not hold: {', '.join(unknown)}",
            expression="_type",
        )
    return frozenset(names)


def _since(raw: str) -> Clause:
    try:
        us = parse_instant(raw)
    except ValueError:
        raise InvalidRequest(
            f"_since must be an instant, got {raw!r}", expression="_since"
        ) from None
    return parse_clause("Patient", "_lastUpdated", "ge" + fhir_instant(us), ())


def _count(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidRequest(
            f"_count must be a positive integer (a page size), got {raw!r}", expression="_count"
        )
    return min(int(raw), MAX_COUNT)
