"""An outbox entry as one flat document (both stores keep it so, with their own key)."""

from __future__ import annotations

from dataclasses import asdict, fields, replace
from typing import Any

from server.storage.port import OutboxEntry

_FIELDS = tuple(f.name for f in fields(OutboxEntry))


def outbox_document(entry: OutboxEntry) -> dict[str, Any]:
    """Every field of an entry by name."""
    return asdict(entry)


def outbox_entry(document: dict[str, Any]) -> OutboxEntry:
    """Rebuild an entry from its document (extra keys, a store's ``_id`` say, ignored)."""
    return OutboxEntry(**{name: document[name] for name in _FIELDS if name in document})


def requeued(entry: OutboxEntry) -> OutboxEntry:
    """A dead letter owed again: pending, its attempts and last error kept for the record,
    the ACK that refused it and the time it was settled cleared."""
    return replace(entry, status="pending", ack=None, settled=None)
