"""Remember which mapped resources were found equal to a stored version, so that the same
content sent again costs a digest, not a merge.

Most resources an archive's messages map are unchanged: a patient's Patient and Coverage
come again with each of its registrations, updates, appointments and charges. Finding
one unchanged parses the stored body, merges the mapped one into it field by field
(ingest_ownership) and compares the two. What that finds depends on nothing but the
mapped content, its field report, whether it was redirected to a merge's survivor, and
the stored version (its body and owners, which a version number names for good): with
the same of each, the answer is the same. Only the answer "unchanged" is kept.

Contents are remembered by a 128-bit BLAKE2b digest; the oldest are dropped past the limit.
A report's feeds (which fields fill which elements: static data, the same few tables in
every report, and most of its JSON) enter the digest as a digest of their own, made once
per table.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from mappers.fields import Feeds, FieldReport

# hashlib lets other threads run while it hashes this many bytes or more at once: on the
# importing process's event loop, getting the GIL back from the store's threads costs
# more than the hash. Hashed in smaller pieces, the digest is the same.
_GIL_RELEASED_FROM = 2_048
_FEEDS_KEPT = 256


class SameAsStored:
    """A bounded set of (mapped content, stored version) pairs found unchanged."""

    def __init__(self, limit: int = 65_536) -> None:
        self.limit = limit
        self._found: dict[bytes, None] = {}
        # Feeds tables by id(), each kept alive beside its digest so that its id is not
        # reused meanwhile (reports unpickled from one worker chunk share one table).
        self._feeds: dict[int, tuple[Feeds, str]] = {}

    def key(
        self,
        resource_type: str,
        resource_id: str,
        version: int,
        redirected: bool,
        mapped: dict[str, Any],
        report: FieldReport | None,
    ) -> bytes:
        """The digest of what decides whether a mapped resource changes a stored version."""
        fields = None
        if report is not None:
            feeds = self._feeds_digest(report.feeds)
            fields = (feeds, report.states, report.owners, report.attached, report.sets)
        facts = (resource_type, resource_id, version, redirected, mapped, fields)
        return _digest(orjson.dumps(facts, option=orjson.OPT_NON_STR_KEYS))

    def _feeds_digest(self, feeds: Feeds) -> str:
        held = self._feeds.get(id(feeds))
        if held is not None and held[0] is feeds:
            return held[1]
        if len(self._feeds) >= _FEEDS_KEPT:
            self._feeds.clear()
        found = _digest(orjson.dumps(feeds, option=orjson.OPT_NON_STR_KEYS)).hex()
        self._feeds[id(feeds)] = (feeds, found)
        return found

    def __contains__(self, key: bytes) -> bool:
        return key in self._found

    def add(self, key: bytes) -> None:
        if len(self._found) >= self.limit:
            del self._found[next(iter(self._found))]
        self._found[key] = None


def _digest(data: bytes) -> bytes:
    hashed = hashlib.blake2b(digest_size=16)
    view = memoryview(data)
    for start in range(0, len(view), _GIL_RELEASED_FROM - 1):
        hashed.update(view[start : start + _GIL_RELEASED_FROM - 1])
    return hashed.digest()
