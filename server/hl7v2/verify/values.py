"""What a stored version holds for a check, and whether that is what the message sent.

The comparison follows what the ingest does to a mapped resource
(``server.hl7v2.ingest.ownership``): a repeating element's parts are compared by their
ownership digest (an identifier also by system and value: a merge keeps the retired
identifiers with ``use = old``), a field's parts must all be there and no other part
may still be owned by that field; a single-valued element must hold what the message
sent (a dict at least its keys: an Encounter keeps its start when an update sends only
the end, ``server.hl7v2.ingest.visits``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from mappers.fields import detach_key, value_at
from server.hl7v2.ingest.identity import REPLACED_BY
from server.hl7v2.ingest.ownership import Owners, digest
from server.hl7v2.verify.expectations import Check, Kind
from server.storage.port import StoredVersion

# A single-valued element whose part the pipeline keeps across updates, by design.
_KEPT: dict[tuple[str, str], str] = {("Encounter", "period"): "start"}


@dataclass(slots=True)
class Parts:
    """A repeating element of a stored version, as the ownership sees it."""

    items: list[Any]  # the parts, without the value a field attached to one of them
    digests: list[str]
    identities: set[tuple[str, str]]  # (system, value) of identifiers


@dataclass(slots=True)
class Stored:
    """One stored version (or none), parsed once for every check against it."""

    resource_type: str
    version: StoredVersion | None
    body: dict[str, Any] | None
    owners: Owners
    _parts: dict[str, Parts] = field(default_factory=dict)

    @classmethod
    def of(cls, resource_type: str, version: StoredVersion | None) -> Stored:
        body = orjson.loads(version.body) if version is not None and version.body else None
        owners = Owners.decode(version.owners if version is not None else None)
        return cls(resource_type, version, body, owners)

    def parts(self, path: str, attached_key: str | None) -> Parts:
        found = self._parts.get(path)
        if found is None:
            items = list(value_at(self.body or {}, path) or [])
            held = self.owners.attached.get(path)
            if held is not None and attached_key is not None:
                items = detach_key(items, attached_key, held)
            identities = {
                (str(i.get("system", "")), str(i.get("value", "")))
                for i in items
                if path == "identifier" and isinstance(i, dict)
            }
            found = Parts(items, [digest(i) for i in items], identities)
            self._parts[path] = found
        return found


def actual(check: Check, stored: Stored) -> Any:
    """What the stored version holds where the check looks (JSON-able, for the report)."""
    body = stored.body
    if check.kind == Kind.DELETED:
        return body is None
    if check.kind == Kind.MERGED:  # every Patient it is replaced by (merged twice: two)
        return [
            str(link.get("other", {}).get("reference", "")).removeprefix("Patient/")
            for link in (body or {}).get("link", ())
            if link.get("type") == REPLACED_BY
        ]
    if check.kind == Kind.ELEMENT:
        return body.get(check.element) if body is not None else None
    if check.kind == Kind.VALUE:
        return _value(check, stored)
    if check.kind == Kind.ATTACHED:
        return _attached(check, stored)
    parts = stored.parts(check.element, _attach_key(check))
    table = stored.owners.parts.get(check.element, {})
    return [
        p for p, d in zip(parts.items, parts.digests, strict=True) if table.get(d) == check.label
    ]


def holds(check: Check, stored: Stored) -> bool:
    """Whether the stored version holds what the check expects."""
    if check.kind == Kind.PARTS:
        return _holds_parts(check, stored)
    found = actual(check, stored)
    if check.kind == Kind.MERGED:
        return check.expected in found
    if check.kind == Kind.VALUE:
        expected: dict[str, Any] = check.expected
        return set(expected) == set(found) and all(
            contains(v, found[k]) for k, v in expected.items()
        )
    return bool(found == check.expected)


def contains(expected: Any, found: Any) -> bool:
    """Whether ``found`` holds ``expected``: equal, or a dict with at least its keys."""
    if isinstance(expected, dict):
        return isinstance(found, dict) and all(
            k in found and contains(v, found[k]) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(found, list)
            and len(found) == len(expected)
            and all(contains(e, f) for e, f in zip(expected, found, strict=True))
        )
    return bool(expected == found)


def _holds_parts(check: Check, stored: Stored) -> bool:
    parts = stored.parts(check.element, _attach_key(check))
    present = set(parts.digests)
    for part, key in zip(check.expected, check.digests, strict=True):
        if key in present:
            continue
        identity = (str(part.get("system", "")), str(part.get("value", "")))
        if check.element != "identifier" or identity not in parts.identities:
            return False
    table = stored.owners.parts.get(check.element, {})
    owned = {d for d in parts.digests if table.get(d) == check.label}
    return owned <= set(check.digests)


def _attach_key(check: Check) -> str | None:
    return check.keys[0] if check.keys else None


def _value(check: Check, stored: Stored) -> dict[str, Any]:
    body = stored.body or {}
    found = {name: body[name] for key in check.keys for name in (key, f"_{key}") if name in body}
    kept = _KEPT.get((stored.resource_type, check.element))
    expected = check.expected.get(check.element)
    value = found.get(check.element)
    if kept is not None and isinstance(value, dict) and kept not in (expected or {}):
        trimmed = {k: v for k, v in value.items() if k != kept}
        if trimmed:
            found[check.element] = trimmed
        else:
            del found[check.element]
    return found


def _attached(check: Check, stored: Stored) -> str | None:
    held = stored.owners.attached.get(check.element)
    if held is None or stored.body is None:
        return None
    key = check.keys[0]
    parts = value_at(stored.body, check.element) or []
    return held if any(isinstance(p, dict) and p.get(key) == held for p in parts) else None
