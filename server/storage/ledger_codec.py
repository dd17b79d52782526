"""The details of a ledger entry (touched, unmapped, warnings) as one JSON document."""

from __future__ import annotations

from typing import Any

import orjson

from server.storage.port import LedgerEntry


def details_json(entry: LedgerEntry) -> bytes:
    """Serialize the list fields of an entry."""
    return orjson.dumps(
        {"touched": entry.touched, "unmapped": entry.unmapped, "warnings": entry.warnings}
    )


def entry_from(fields: dict[str, Any], details: bytes) -> LedgerEntry:
    """Rebuild an entry from its scalar fields and its details document."""
    parsed = orjson.loads(details)
    return LedgerEntry(
        sender=fields["sender"],
        control_id=fields["control_id"],
        received=fields["received"],
        message_type=fields["message_type"],
        event_time=fields["event_time"],
        outcome=fields["outcome"],
        raw=bytes(fields["raw"]),
        touched=tuple(parsed["touched"]),
        unmapped=tuple(parsed["unmapped"]),
        warnings=tuple(parsed["warnings"]),
    )
