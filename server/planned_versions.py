"""The versions a transaction has planned but not stored yet, as its entries' rules read them.

A transaction plans every entry before anything is stored, and the hold rules an entry
runs (server.hold_rules.HoldRule) read the store: a Claim's scrub reads the Patient,
Coverage and billing provider it names. When the same transaction writes those, the
store does not have them yet, and the Claim would be denied for a patient not on file.
The planner makes its view (stored versions it read, then its own) visible here while a
rule plans; ``read_many`` answers from it first. Outside a transaction it is the store.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from server.storage.port import Store, StoredVersion

Key = tuple[str, str]

_PLANNED: ContextVar[Mapping[Key, StoredVersion | None] | None] = ContextVar(
    "planned_versions", default=None
)


@contextmanager
def planned(versions: Mapping[Key, StoredVersion | None]) -> Iterator[None]:
    """Let reads within the block see ``versions`` (type, id -> version; None: absent)."""
    token = _PLANNED.set(versions)
    try:
        yield
    finally:
        _PLANNED.reset(token)


async def read_many(store: Store, keys: Sequence[Key]) -> dict[Key, StoredVersion | None]:
    """``store.read_many``, with the versions of the transaction being planned first."""
    seen = _PLANNED.get()
    if not seen:
        return await store.read_many(keys)
    rest = [key for key in keys if key not in seen]
    found = await store.read_many(rest) if rest else {}
    return {**found, **{key: seen[key] for key in keys if key in seen}}
