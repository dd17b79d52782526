"""The CPU-heavy part of importing a line, run in worker processes: validation and indexing.

A line is refused when it is not a strict JSON object, names a type this server does
not hold, or fails the validation a client write gets (server.fhir.validation). A line
that passes, and names its id, comes back with its search index entries, computed as
the store will keep them except ``_lastUpdated``, which only the writer knows
(``with_last_updated`` adds it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.errors import FhirError, InvalidResource
from server.fhir.validation import parse_json_object, validate_resource
from server.integrity import ReferenceIntegrity
from server.registry import get_type
from server.search.extract import extract_index
from server.search.index_entries import DateEntry, IndexEntries

LAST_UPDATED = "_lastUpdated"


Target = tuple[str, tuple[str, str], str]  # (element, (type, id), as written)


@dataclass(frozen=True, slots=True)
class Checked:
    """A line that may be imported, with its index entries when it names its id, and
    the references into this server it holds (for the integrity check at the end)."""

    index: IndexEntries | None
    targets: list[Target]


def check_resource(resource: dict[str, Any]) -> None:
    """Raise FhirError unless ``resource`` is a valid resource of a held type."""
    resource_type = resource.get("resourceType")
    if not isinstance(resource_type, str) or get_type(resource_type) is None:
        raise InvalidResource(
            f"resourceType {resource_type!r} is not a type this server holds",
            expression="resourceType",
            code="not-supported",
        )
    validate_resource(resource, resource_type)


def index_without_last_updated(
    resource: dict[str, Any], base_urls: tuple[str, ...]
) -> IndexEntries:
    """The resource's index entries as stored, but for ``_lastUpdated``."""
    meta = resource.get("meta")
    if isinstance(meta, dict) and "lastUpdated" in meta:
        resource = {**resource, "meta": {k: v for k, v in meta.items() if k != "lastUpdated"}}
    return extract_index(resource, base_urls=base_urls)


def with_last_updated(entries: IndexEntries, updated: int) -> IndexEntries:
    """A copy of ``entries`` with the ``_lastUpdated`` of a version stamped at ``updated``."""
    return IndexEntries(
        entries.strings,
        entries.tokens,
        [*entries.dates, DateEntry(LAST_UPDATED, updated, updated + 1)],
        entries.references,
        entries.uris,
        {*entries.present, LAST_UPDATED},
        {**entries.sort_keys, LAST_UPDATED: updated},
    )


def check_lines(lines: list[bytes], base_urls: tuple[str, ...]) -> list[Checked | dict[str, Any]]:
    """For each raw line, Checked when it may be imported, else its OperationOutcome."""
    integrity = ReferenceIntegrity(None, base_urls)  # type: ignore[arg-type]  # no store read
    answers: list[Checked | dict[str, Any]] = []
    for raw in lines:
        try:
            resource = parse_json_object(raw)
            check_resource(resource)
        except FhirError as exc:
            answers.append(exc.outcome())
            continue
        resource_type = str(resource["resourceType"])
        has_id = isinstance(resource.get("id"), str)
        answers.append(
            Checked(
                index_without_last_updated(resource, base_urls) if has_id else None,
                integrity.targets(resource, resource_type),
            )
        )
    return answers
