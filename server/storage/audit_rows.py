"""AuditEvents as both stores keep them: apart from the other resources, one record each.

Every access writes an AuditEvent, so its storage is what each request pays: a row (or
document) per event holding its bytes, its time and its version, and one link per
searchable value (``Link``: the parameter, then system, code and text), rather than
the shared resource, version and index tables every other type goes through. The
links are the event's index entries (``server.audit.events`` builds them, or the
extractor for events written through the API's validation path), one shape for
tokens, references and strings:

- token: (param, system, code, folded display text)
- reference: (param, target type, target id, URL for a reference outside the server)
- string: (param, None, folded value, exact value)
- uri: (param, None, value, None)

``_id`` is the record's own id, ``date`` its [low, high) range and ``_lastUpdated`` its
version's time, so none of the three is a link. The search parameters are AuditEvent's
narrow set (``server.search.definitions.ONLY_ON``); the stores compile them over these
records (``server.storage.sqlite.audit_search``, ``server.storage.mongo.audit_search``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from server.search.index_entries import IndexEntries
from server.storage.port import Write

AUDIT_TYPE: Final = "AuditEvent"

# Parameters that are columns or fields of the record itself, not links.
ID_PARAM: Final = "_id"
DATE_PARAM: Final = "date"
UPDATED_PARAM: Final = "_lastUpdated"

Link = tuple[str, str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """What a store keeps of one AuditEvent version (the write's version and its links)."""

    write: Write
    date: tuple[int, int] | None
    links: tuple[Link, ...]


def is_audit(write: Write) -> bool:
    """Whether a write stores an AuditEvent (which goes to the audit records)."""
    return write.version.resource_type == AUDIT_TYPE


@dataclass(slots=True)
class AuditEntries(IndexEntries):
    """An AuditEvent's index entries with their links and date range already listed.

    What the audit trail's builder hands over: it knows which links events of one kind
    share, so it lists them once a kind rather than every store reading them out of
    the entries of every event.
    """

    links: tuple[Link, ...] = ()
    date: tuple[int, int] | None = None


def audit_record(write: Write) -> AuditRecord:
    """The record of an AuditEvent write: its date range and its links, each once."""
    entries = write.index
    if entries is None or write.version.deleted:
        return AuditRecord(write, None, ())
    if isinstance(entries, AuditEntries):
        return AuditRecord(write, entries.date, entries.links)
    return AuditRecord(write, date_range(entries), tuple(links_of(entries)))


def links_of(entries: IndexEntries) -> dict[Link, None]:
    """The links of index entries, each once, in the order of the entries."""
    links: dict[Link, None] = {}
    for token in entries.tokens:
        if token.param != ID_PARAM:
            links[(token.param, token.system, token.code, token.text)] = None
    for ref in entries.references:
        links[(ref.param, ref.target_type, ref.target_id, ref.url)] = None
    for string in entries.strings:
        links[(string.param, None, string.folded, string.exact)] = None
    for uri in entries.uris:
        links[(uri.param, None, uri.value, None)] = None
    return links


def date_range(entries: IndexEntries) -> tuple[int, int] | None:
    """The [low, high) range the entries' ``date`` values span."""
    dates = [(d.low, d.high) for d in entries.dates if d.param == DATE_PARAM]
    return (min(low for low, _ in dates), max(high for _, high in dates)) if dates else None
