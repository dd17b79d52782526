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
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from mappers.fields import FieldReport


class SameAsStored:
    """A bounded set of (mapped content, stored version) pairs found unchanged."""

    def __init__(self, limit: int = 65_536) -> None:
        self.limit = limit
        self._found: dict[bytes, None] = {}

    @staticmethod
    def key(
        resource_type: str,
        resource_id: str,
        version: int,
        redirected: bool,
        mapped: dict[str, Any],
        report: FieldReport | None,
    ) -> bytes:
        """The digest of what decides whether a mapped resource changes a stored version."""
        facts = (resource_type, resource_id, version, redirected, mapped, report)
        data = orjson.dumps(facts, option=orjson.OPT_NON_STR_KEYS)
        return hashlib.blake2b(data, digest_size=16).digest()

    def __contains__(self, key: bytes) -> bool:
        return key in self._found

    def add(self, key: bytes) -> None:
        if len(self._found) >= self.limit:
            del self._found[next(iter(self._found))]
        self._found[key] = None
