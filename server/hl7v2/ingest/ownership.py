"""Update a stored resource field by field, and remember which field owns which part.

HL7 v2.5 chapter 2, 2.5.3: a field not present leaves what it maps to unchanged, a
field sent as ``""`` deletes it, a present field replaces it, every repetition of it
(a snapshot). The mapper reports what the message's fields did (``mappers.fields``);
:func:`merge_fields` applies that to the stored resource.

Where several fields feed one repeating element (PID-3, PID-19, PID-20 ->
``identifier``), each owns its parts: an update replaces exactly the parts owned by
the fields it carries. Who owns what is kept beside each stored version
(``StoredVersion.owners``), never in the resource, as :class:`Owners`:

- ``parts``: element -> {digest of a part's canonical JSON: owning field}. A part
  no field owns (a REST client added it, or changed it) is nobody's; the feed's
  ``claims`` name the field that replaces such a part when sent (a clerk's email is
  replaced by PID-13, kept by a message without PID-13).
- ``attached``: element -> the value a field put inside another field's part (PID-12's
  county in ``address.district``), detached before comparing parts.
- ``sets``: repeating segment (NK1, IN1) -> ids of the resources the last message
  carrying them made; a message carrying some replaces the set (2.10.4 snapshot).

A client's REST write keeps the owners of its previous version (``next_version``):
parts it did not touch keep their digest, so their owner.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from mappers.fields import Feed, FieldReport, attach_key, detach_key


@dataclass(slots=True)
class Owners:
    """Who owns the parts of one stored resource (see the module docstring)."""

    parts: dict[str, dict[str, str]] = field(default_factory=dict)
    attached: dict[str, str] = field(default_factory=dict)
    sets: dict[str, list[str]] = field(default_factory=dict)

    def encode(self) -> bytes:
        return orjson.dumps({"parts": self.parts, "attached": self.attached, "sets": self.sets})

    @classmethod
    def decode(cls, data: bytes | None) -> Owners:
        if not data:
            return cls()
        document = orjson.loads(data)
        return cls(
            document.get("parts", {}), document.get("attached", {}), document.get("sets", {})
        )


def digest(part: Any) -> str:
    """A short digest of a part's canonical JSON (keys sorted)."""
    canonical = orjson.dumps(part, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(canonical, digest_size=8).hexdigest()


def merge_fields(
    mapped: dict[str, Any],
    report: FieldReport,
    stored: dict[str, Any] | None,
    owners: Owners,
) -> tuple[dict[str, Any], Owners]:
    """Return ``mapped`` applied to ``stored`` field by field, and the new owners.

    Keys no feed declares (id, status, the patient reference) are the mapper's when
    it sets them, else the stored ones. ``stored`` None: the mapped resource as it is.
    """
    merged: dict[str, Any] = dict(stored) if stored is not None else {}
    fed = {key for feed in report.feeds.values() for key in feed.keys}
    for key, value in mapped.items():
        if key not in fed and key.removeprefix("_") not in fed and key != "meta":
            merged[key] = value
    _merge_meta(merged, stored)
    kept = Owners(attached=dict(owners.attached), sets={**owners.sets, **report.sets})
    for feed in report.feeds.values():
        if feed.many:
            _merge_parts(merged, mapped, feed, report, owners, kept)
        elif any(report.carried(label) for label in feed.fields):
            for key in feed.keys:
                for name in (key, f"_{key}"):
                    merged.pop(name, None)
                    if name in mapped:
                        merged[name] = mapped[name]
    return merged, kept


def _merge_meta(merged: dict[str, Any], stored: dict[str, Any] | None) -> None:
    """Keep the stored meta (tags, labels); the fed parts of it (security) merge after."""
    meta = stored.get("meta") if stored is not None else None
    if isinstance(meta, dict) and meta:
        merged["meta"] = dict(meta)


def _merge_parts(
    merged: dict[str, Any],
    mapped: dict[str, Any],
    feed: Feed,
    report: FieldReport,
    owners: Owners,
    kept: Owners,
) -> None:
    """Replace the parts owned by the fields the message carried; keep the others."""
    path = feed.keys[0]
    carried = {label for label in feed.fields if report.carried(label)}
    stored_parts: list[Any] = list(_get(merged, path) or [])
    mapped_parts: list[Any] = list(_get(mapped, path) or [])
    mapped_owners = list(report.owners.get(path, [None] * len(mapped_parts)))
    attach_value = None
    if feed.attach is not None:
        attach_field, attach_name = feed.attach
        held = owners.attached.get(path)
        if held is not None:
            stored_parts = detach_key(stored_parts, attach_name, held)
        sent = report.attached.get(path)
        if sent is not None:
            mapped_parts, mapped_owners = _detached(mapped_parts, mapped_owners, attach_name, sent)
        attach_value = sent if attach_field in carried else held
    table = owners.parts.get(path, {})
    rank = {label: index for index, label in enumerate(feed.fields)}
    # Each part's digest is taken once: it finds the owner, then spots a repeated part.
    kept_parts: list[tuple[str | None, Any, str]] = []
    for part in stored_parts:
        key = digest(part)
        owner = table.get(key)
        taker = owner or next((c.field for c in feed.claims if c.takes(part)), None)
        if taker not in carried:
            kept_parts.append((owner, part, key))
    combined = [
        *((o, p, digest(p)) for o, p in zip(mapped_owners, mapped_parts, strict=True)),
        *kept_parts,
    ]
    combined.sort(key=lambda triple: rank.get(triple[0] or "", len(rank)))
    parts: list[Any] = []
    part_owners: dict[str, str] = {}
    for owner, part, key in combined:
        if key in part_owners or part in parts:
            continue
        parts.append(part)
        if owner is not None:
            part_owners[key] = owner
    kept.parts[path] = part_owners
    kept.attached.pop(path, None)
    if feed.attach is not None and attach_value is not None:
        parts = [dict(p) for p in parts]
        attach_key(parts, feed.attach[1], attach_value)
        kept.attached[path] = attach_value
    _set(merged, path, parts)


def _detached(
    parts: list[Any], owners: list[str | None], key: str, value: str
) -> tuple[list[Any], list[str | None]]:
    """The parts (and their owners) without the value attached to one of them."""
    trimmed = detach_key(parts, key, value)
    if len(trimmed) < len(parts):
        gone = next(i for i, p in enumerate(parts) if p == {key: value})
        return trimmed, [*owners[:gone], *owners[gone + 1 :]]
    return trimmed, owners


def _get(resource: dict[str, Any], path: str) -> Any:
    node: Any = resource
    for step in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(step)
    return node


def _set(resource: dict[str, Any], path: str, value: list[Any]) -> None:
    """Set a dotted path, removing it (and a parent left empty) when ``value`` is empty."""
    *parents, last = path.split(".")
    node = resource
    for step in parents:
        child = node.get(step)
        child = dict(child) if isinstance(child, dict) else {}
        node[step] = child
        node = child
    if value:
        node[last] = value
    else:
        node.pop(last, None)
    if parents and not node:
        resource.pop(parents[0], None)


def owners_of(mapped: dict[str, Any], report: FieldReport, stored: Owners) -> Owners:
    """The owners of a resource created from ``mapped`` (no stored parts to merge)."""
    owners = Owners(sets={**stored.sets, **report.sets})
    for path, labels in report.owners.items():
        parts = list(_get(mapped, path) or [])
        feed = report.feeds.get(path)
        sent = report.attached.get(path)
        if feed is not None and feed.attach is not None and sent is not None:
            parts, labels = _detached(parts, labels, feed.attach[1], sent)
            owners.attached[path] = sent
        owners.parts[path] = {
            digest(p): label for p, label in zip(parts, labels, strict=True) if label
        }
    return owners
