"""What every mapper of one message shares: the site config, the result being built,
the referenced resources already emitted, and the bookkeeping of unmapped fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hl7.er7 import NULL, Segment
from mappers.config import MappingConfig
from mappers.datetimes import to_fhir_date, to_fhir_datetime
from mappers.fields import FieldReport
from mappers.result import Action, MappingResult
from mappers.vocabulary import Sender, local_system


@dataclass(slots=True)
class MapContext:
    """Per-message mapping state (one per ``map_message`` call)."""

    config: MappingConfig
    # Rank of each resource type in the result, lowest first (the server's registry
    # declares it: whatever is referenced comes before what refers to it). Types not
    # ranked come last; within a type, the mappers' order is kept.
    write_order: Mapping[str, int] = field(default_factory=dict)
    result: MappingResult = field(default_factory=MappingResult)
    # (MSH-3, MSH-4): whose local codes the message's coded fields are.
    sender: Sender = ("", "")
    _emitted: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _unmapped: dict[str, None] = field(default_factory=dict)
    _consumed: set[int] = field(default_factory=set)

    def warn(self, message: str) -> None:
        """Record a recoverable oddity."""
        self.result.warnings.append(message)

    def standard_code(self, table: str, code: str) -> str | None:
        """Return HL7 table ``table``'s code for the sender's ``code``; None records a gap."""
        found = self.config.vocabulary.standard(self.sender, table, code)
        if found is None:
            gap = (table, code)
            if gap not in self.result.vocabulary_gaps:
                self.result.vocabulary_gaps.append(gap)
                self.warn(
                    f"HL7 table {table}: code {code!r} of {'|'.join(self.sender)} is not a "
                    f"table code and no vocabulary maps it; kept as {self.local_system(table)}"
                )
        return found

    def local_system(self, table: str) -> str:
        """The sender's own code system for its codes of ``table``."""
        return local_system(self.sender, table)

    def emit(
        self,
        resource: dict[str, Any],
        action: Action,
        key: str,
        fields: FieldReport | None = None,
    ) -> dict[str, str]:
        """Add ``resource`` once (by type and id) and return a Reference to it.

        ``fields``: what the message's fields did to it (mappers.fields), for a resource
        that updates a stored one field by field.
        """
        reference = f"{resource['resourceType']}/{resource['id']}"
        identity = (resource["resourceType"], resource["id"])
        if identity not in self._emitted:
            self._emitted[identity] = resource
            self.result.add(resource, action, key, fields)
        return {"reference": reference}

    def fields_of(self, resource: dict[str, Any]) -> FieldReport | None:
        """The field report emitted with ``resource``, if any."""
        for mapped in self.result.resources:
            if mapped.resource is resource:
                return mapped.fields
        return None

    def emitted(self, resource_type: str, resource_id: str) -> dict[str, Any] | None:
        """Return the resource of this type and id already emitted for the message."""
        return self._emitted.get((resource_type, resource_id))

    def share(self, resource: dict[str, Any], key: str) -> dict[str, str]:
        """Emit a referenced resource (Organization, Practitioner, Location) as create-only.

        A v2 field carries only part of what a directory knows about a practitioner or an
        organization, so these never overwrite a richer stored version.
        """
        return self.emit(resource, Action.CREATE_ONLY, key)

    def datetime(self, value: str, where: str) -> str | None:
        """Return the FHIR dateTime of a v2 value; warn (naming ``where``) when invalid."""
        if not value or value == NULL:
            return None
        return self._checked(to_fhir_datetime(value, self.config.timezone), value, where)

    def date(self, value: str, where: str) -> str | None:
        """Return the FHIR date of a v2 value; warn (naming ``where``) when invalid."""
        if not value or value == NULL:
            return None
        return self._checked(to_fhir_date(value), value, where)

    def _checked(self, converted: str | None, value: str, where: str) -> str | None:
        """``converted``, warning when the value was not a valid date/time (None)."""
        if converted is None:
            self.warn(f"{where}: {value!r} is not a valid date/time; left out")
        return converted

    def period(self, start: str, end: str, where: str) -> dict[str, str] | None:
        """Return a FHIR Period from two v2 values, or None when neither is valid."""
        period = {}
        for key, value in (("start", start), ("end", end)):
            converted = self.datetime(value, where)
            if converted:
                period[key] = converted
        return period or None

    def unmapped(self, label: str) -> None:
        """Record something that carried data but was not mapped ("ZPI", "PID-13.4")."""
        self._unmapped[label] = None

    def fields_unmapped(self, segment: Segment, handled: frozenset[int]) -> None:
        """Mark ``segment`` used; record each field with data that is not in ``handled``."""
        self._consumed.add(id(segment))
        for number in range(1, segment.field_count() + 1):
            if number not in handled:
                raw = segment.raw_field(number)
                if raw and raw != NULL:
                    self._unmapped[f"{segment.name}-{number}"] = None

    def consume(self, segment: Segment) -> None:
        """Mark a segment as used in full (e.g. RGS, which only groups others)."""
        self._consumed.add(id(segment))

    def finish(self, segments: list[Segment]) -> MappingResult:
        """Return the result, listing the segments no mapper used (MSH aside) as unmapped."""
        for segment in segments:
            if id(segment) not in self._consumed and segment.name != "MSH":
                self._unmapped[segment.name] = None
        self.result.unmapped = list(self._unmapped)
        for mapped in self.result.resources:
            if mapped.fields is not None:
                mapped.fields.finish(mapped.resource)
        self.result.resources.sort(key=lambda m: self._rank(m.resource["resourceType"]))
        return self.result

    def _rank(self, resource_type: str) -> tuple[bool, int]:
        rank = self.write_order.get(resource_type)
        return (rank is None, rank or 0)
