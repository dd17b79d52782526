"""Which v2 field produced which part of a mapped resource, and which fields were sent.

HL7 v2.5 chapter 2 (2.5.3) says a field that is not present leaves the receiver's
value unchanged, a field sent as ``""`` deletes it, and a present field replaces it
(all its repetitions). A mapper cannot apply that itself: it does not see the stored
resource. So it reports, beside each resource it maps, a :class:`FieldReport`: the
fields it read that were present or null, and for each repeating element the field
that produced each part. The ingest merges that report with the stored resource
(``server.hl7v2.ingest.ownership``).

A :class:`Feed` declares, per resource kind, which JSON keys a group of fields fills:
one feed per element (``telecom`` from PID-13, PID-14 and PID-40; ``deceased[x]``
from PID-29 and PID-30). Feeds are static data, so the report stays picklable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hl7.er7 import NULL, Segment


class FieldState(StrEnum):
    """How a field was sent (a field not sent is simply not in the report)."""

    PRESENT = "present"
    NULL = "null"  # ``""`` on the wire: delete what the field maps to


@dataclass(frozen=True, slots=True)
class Claim:
    """The field that takes over a part no field produced (one a REST client added).

    ``key`` None claims every such part; otherwise the part's ``key`` must equal
    ``value`` (``use`` = ``work`` goes to PID-14).
    """

    field: str
    key: str | None = None
    value: str | None = None

    def takes(self, part: Any) -> bool:
        return self.key is None or (isinstance(part, dict) and part.get(self.key) == self.value)


@dataclass(frozen=True, slots=True)
class Feed:
    """The JSON keys of a resource that some fields fill, and how.

    ``many``: the element repeats and each part has one owning field; otherwise the
    keys are one value that any of ``fields`` replaces. ``attach``: a field that fills
    one key inside another field's part (PID-12 county -> ``address.district``).
    """

    keys: tuple[str, ...]
    fields: tuple[str, ...]
    many: bool = False
    claims: tuple[Claim, ...] = ()
    attach: tuple[str, str] | None = None


Feeds = Mapping[str, Feed]  # by the feed's first key


@dataclass(slots=True)
class FieldReport:
    """What one message's fields did to one mapped resource."""

    feeds: Feeds
    states: dict[str, FieldState] = field(default_factory=dict)
    # Repeating element -> the field that produced each of its parts, in order.
    owners: dict[str, list[str | None]] = field(default_factory=dict)
    # Repeating element -> the value its attach field put into a part.
    attached: dict[str, str] = field(default_factory=dict)
    # Repeating segment (NK1, IN1) -> the ids of the resources this message's set
    # made; absent when the message carried none of them (the stored set stays).
    sets: dict[str, list[str]] = field(default_factory=dict)
    # id() of each value a field produced -> (field, value); the value is kept so
    # that its id stays unique until ``finish``.
    _produced: dict[int, tuple[str, Any]] = field(default_factory=dict)

    def saw(self, segment: Segment, number: int) -> str:
        """Note whether field ``number`` of ``segment`` was sent; return its label."""
        label = f"{segment.name}-{number}"
        raw = segment.raw_field(number)
        if raw == NULL:
            self.states[label] = FieldState.NULL
        elif raw:
            self.states[label] = FieldState.PRESENT
        return label

    def saw_segment(self, label: str) -> None:
        """Note a segment used as a whole field (ARV: its restrictions)."""
        self.states[label] = FieldState.PRESENT

    def produced(self, label: str, value: Any) -> None:
        """Note that field ``label`` produced ``value`` (a part of a repeating element)."""
        self._produced[id(value)] = (label, value)

    def finish(self, resource: Mapping[str, Any]) -> None:
        """Record the owner of every part of every repeating element of ``resource``."""
        for feed in self.feeds.values():
            if not feed.many:
                continue
            parts = value_at(resource, feed.keys[0])
            if isinstance(parts, list):
                self.owners[feed.keys[0]] = [self._owner(part) for part in parts]
        self._produced.clear()

    def _owner(self, part: Any) -> str | None:
        found = self._produced.get(id(part))
        return found[0] if found is not None and found[1] is part else None

    def carried(self, label: str) -> bool:
        return label in self.states


def combine(*groups: Iterable[Feed]) -> dict[str, Feed]:
    """Join feeds of several segments; feeds of the same keys add up their fields."""
    joined: dict[str, Feed] = {}
    for group in groups:
        for feed in group:
            held = joined.get(feed.keys[0])
            if held is None:
                joined[feed.keys[0]] = feed
            else:
                joined[feed.keys[0]] = Feed(
                    held.keys,
                    (*held.fields, *feed.fields),
                    held.many or feed.many,
                    (*held.claims, *feed.claims),
                    held.attach or feed.attach,
                )
    return joined


def attach_key(parts: list[dict[str, Any]], key: str, value: str) -> None:
    """Put ``value`` into the one part that lacks ``key``, else add it as a part of its own.

    The IG puts PID-12 (county) into the address's district; with several addresses
    it cannot tell which, so the county stands alone.
    """
    if len(parts) == 1 and key not in parts[0]:
        parts[0][key] = value
    else:
        parts.append({key: value})


def detach_key(parts: list[dict[str, Any]], key: str, value: str) -> list[dict[str, Any]]:
    """Undo ``attach_key``: the parts without the attached value (copies where changed)."""
    for index, part in enumerate(parts):
        if part == {key: value}:
            return [*parts[:index], *parts[index + 1 :]]
    for index, part in enumerate(parts):
        if part.get(key) == value:
            trimmed = {k: v for k, v in part.items() if k != key}
            return [*parts[:index], trimmed, *parts[index + 1 :]]
    return list(parts)


def value_at(resource: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (``meta.security``), or None."""
    node: Any = resource
    for step in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(step)
    return node
