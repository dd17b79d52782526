"""The versions a transaction has planned but not stored yet, as its entries' rules read them.

A transaction plans every entry before anything is stored, and the hold rules an entry
runs (server.hold_rules.HoldRule) read the store: a Claim's scrub reads the Patient,
Coverage and billing provider it names. When the same transaction writes those, the
store does not have them yet, and the Claim would be denied for a patient not on file.
The planner makes its view (stored versions it read, then its own) visible here while a
rule plans: ``view``, which a rule reads before the store (empty outside a transaction).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
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


def view() -> Mapping[Key, StoredVersion | None]:
    """The versions of the transaction being planned (empty outside one)."""
    return _PLANNED.get() or {}


async def read_many(store: Store, keys: Iterable[Key]) -> dict[Key, StoredVersion | None]:
    """``store.read_many`` as the transaction being planned sees it: its own versions
    (and deletions) over the stored ones."""
    wanted = list(dict.fromkeys(keys))
    planned = view()
    missing = [k for k in wanted if k not in planned]
    found = await store.read_many(missing) if missing else {}
    return {**found, **{k: planned[k] for k in wanted if k in planned}}
