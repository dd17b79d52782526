"""One page of ``$everything``: of one patient's record, or of every patient's in turn.

``Patient/$everything`` walks the patients the token may search in the store's keyset
order and each one's record after the other; a resource shared by several records (a
practitioner, a coverage naming two patients) is in each. The page cursor is opaque
(server.storage.cursor): the patient (the store cursor it is found from, and its id),
the part of its record and the store cursor in that part.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from server.everything.sources import Source
from server.everything.walk import Position, RecordWalk
from server.search.query import Clause, SearchQuery
from server.storage.cursor import decode_cursor, encode_cursor
from server.storage.port import InvalidCursor, Store, StoredVersion


@dataclass(frozen=True, slots=True)
class EverythingPage:
    versions: list[StoredVersion]
    next_cursor: str | None


async def record_page(
    store: Store, sources: Sequence[Source], cursor: str | None, count: int
) -> EverythingPage:
    """A page of one patient's record."""
    walk = RecordWalk(store, sources)
    start = _position(decode_cursor(cursor, {"t": str})) if cursor else None
    if start is not None and walk.index(start) is None:
        raise InvalidCursor("The paging cursor does not belong to this $everything")
    page: list[StoredVersion] = []
    after = await walk.fill(start, page, count)
    return EverythingPage(page, None if after is None else _encode(after))


async def patients_page(
    store: Store,
    patients: Sequence[Clause],
    sources_of: Callable[[str], Sequence[Source]],
    cursor: str | None,
    count: int,
) -> EverythingPage:
    """A page of the records of every patient matching ``patients``, one after another."""
    state = decode_cursor(cursor, {"p": str, "t": str}) if cursor else None
    found_from: str | None = None if state is None else _optional(state, "a")
    patient, following = await _patient_at(store, patients, found_from)
    start = None
    if state is not None and patient is not None and patient.id == state["p"]:
        start = _position(state)
    page: list[StoredVersion] = []
    while patient is not None:
        walk = RecordWalk(store, sources_of(patient.id))
        if start is not None and walk.index(start) is None:
            raise InvalidCursor("The paging cursor does not belong to this $everything")
        after = await walk.fill(start, page, count)
        if after is not None:
            return EverythingPage(page, _encode(after, a=found_from, p=patient.id))
        if following is None:
            break
        found_from, start = following, None
        patient, following = await _patient_at(store, patients, found_from)
    return EverythingPage(page, None)


async def _patient_at(
    store: Store, patients: Sequence[Clause], cursor: str | None
) -> tuple[StoredVersion | None, str | None]:
    """The first patient from ``cursor``, and the cursor of the ones after it."""
    found = await store.search(SearchQuery("Patient", tuple(patients), (), 1, cursor))
    if not found.versions:
        return None, None
    return found.versions[0], found.next_cursor


def _position(state: dict[str, Any]) -> Position:
    return Position(state["t"], _optional(state, "c"))


def _optional(state: dict[str, Any], key: str) -> str | None:
    value = state.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidCursor("Malformed paging cursor")
    return value


def _encode(position: Position, **patient: str | None) -> str:
    return encode_cursor({**patient, "t": position.resource_type, "c": position.cursor})
