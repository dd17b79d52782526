"""Remember which resources passed validation, so identical content is validated once.

A worker process validates every mapped resource, and most of them repeat: the same
payer, practitioner and location are in thousands of messages, and a patient's
Coverage and Patient come again, unchanged, with each of its registrations, updates,
appointments and charges, often far apart in an archive. The verdict of validation
depends on the content only, so a resource whose canonical JSON (sorted keys) is the
same as one that passed has passed too.

Resources are remembered by a 128-bit BLAKE2b digest of that JSON, not the JSON
itself, so many can be kept in little memory; the least recently used are dropped.
Only passes are kept: a failure is recomputed, which also rebuilds its issues.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson


class PassedValidation:
    """A bounded, least-recently-used set of resource contents that passed validation."""

    def __init__(self, limit: int = 65_536) -> None:
        self.limit = limit
        self._passed: dict[bytes, None] = {}  # insertion order = least recently used first

    @staticmethod
    def key(resource: dict[str, Any]) -> bytes:
        """The digest identifying a resource's content."""
        canonical = orjson.dumps(resource, option=orjson.OPT_SORT_KEYS)
        return hashlib.blake2b(canonical, digest_size=16).digest()

    def __contains__(self, key: bytes) -> bool:
        if key not in self._passed:
            return False
        del self._passed[key]  # move to the most recently used end
        self._passed[key] = None
        return True

    def add(self, key: bytes) -> None:
        """Remember that the content with this key passed."""
        if len(self._passed) >= self.limit:
            del self._passed[next(iter(self._passed))]
        self._passed[key] = None

    def __len__(self) -> int:
        return len(self._passed)
