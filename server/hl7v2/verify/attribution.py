"""Who changed a value after the message that sent it: the resource's version history.

Only a check the current version fails comes here. From the version the message wrote
(or, for a resource it left unchanged or found newer, the version current when the
ledger recorded it), the first later version that no longer holds the value names
its writer:

- a REST write (create, update, patch, delete, ``$merge``) keeps its own time as its
  event time (``server.versions.next_version``): explained, and said to be REST;
- a version whose ``meta.source`` names an HL7v2 message that the ledger recorded as
  accepted, with this very version among the ones it wrote: explained, naming it;
- anything else (a version written straight into the store, a row changed in place)
  is unexplained.

A message whose resource already held a newer event (``stale`` for it) is explained
by the writer of that newer version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from server.fhir.clock import fhir_instant
from server.hl7v2.ingest.merge_request import SENDER as MERGE_SENDER
from server.hl7v2.ingest.provenance import SOURCE_SCHEME
from server.hl7v2.verify.expectations import Check
from server.hl7v2.verify.report import Sent
from server.hl7v2.verify.values import Stored, actual, holds
from server.storage.port import ACCEPTED_OUTCOMES, HistoryQuery, LedgerEntry, Store

_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Finding:
    """The verdict on one failed check: explained (by whom) or not (why)."""

    changed_by: dict[str, Any] | None
    reason: str = ""
    stored: Any = None


class Attributor:
    """Reads histories and ledger entries (each once) to explain failed checks."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._histories: dict[tuple[str, str], list[Stored]] = {}
        self._ledger: dict[tuple[str, str], LedgerEntry | None] = {}

    async def explain(
        self, resource_type: str, resource_id: str, sent: Sent, check: Check, current: Stored
    ) -> Finding:
        """Why the current version does not hold what ``sent`` sent for ``check``."""
        reference = f"{resource_type}/{resource_id}"
        versions = await self._history(resource_type, resource_id)
        stored = actual(check, current)
        written = sent.touched.get(reference)
        if written is not None:
            start = next((i for i, v in enumerate(versions) if _number(v) == written), None)
        else:
            applied = [i for i, v in enumerate(versions) if _updated(v) <= sent.received]
            start = applied[-1] if applied else None
        if start is None:
            return Finding(
                None, "the resource has no version from when the message was applied", stored
            )
        first = versions[start]
        if not holds(check, first):
            newer = first.version is not None and _after(first.version.event_time, sent.event_time)
            if written is None and newer:
                return await self._by(first, reference, stored, stale=True)
            how = "which the message wrote" if written else "current when it was applied"
            return Finding(
                None,
                f"version {_number(first)}, {how}, does not hold the message's value "
                "(changed in place, or never written as sent)",
                stored,
            )
        for later in versions[start + 1 :]:
            if not holds(check, later):
                return await self._by(later, reference, stored)
        return Finding(
            None,
            "no version in the history changed it: the stored resource was altered in place",
            stored,
        )

    async def _by(
        self, changed: Stored, reference: str, stored: Any, *, stale: bool = False
    ) -> Finding:
        writer = await self.writer(changed, reference)
        if writer is None:
            return Finding(
                None,
                f"version {_number(changed)} changed it, and names neither a REST write nor "
                "a message the ledger recorded as writing it",
                stored,
            )
        if stale:
            writer = {**writer, "stale": True}
        return Finding(writer, stored=stored)

    async def writer(self, changed: Stored, reference: str) -> dict[str, Any] | None:
        """Who wrote a version: a REST write, or a message the ledger confirms; else None."""
        version = changed.version
        if version is None:
            return None
        if version.event_time is not None and version.event_time == version.last_updated:
            return {
                "kind": "rest",
                "method": version.method.value,
                "version": version.version,
                "at": fhir_instant(version.last_updated),
            }
        source = (changed.body or {}).get("meta", {}).get("source", "")
        if not isinstance(source, str) or not source.startswith(SOURCE_SCHEME):
            return None
        sender, _, control_id = source.removeprefix(SOURCE_SCHEME).partition("#")
        key = (unquote(sender), unquote(control_id))
        if key not in self._ledger:
            self._ledger[key] = await self.store.ledger_get(*key)
        entry = self._ledger[key]
        wrote = f"{reference}/_history/{version.version}"
        if entry is None or entry.outcome not in ACCEPTED_OUTCOMES or wrote not in entry.touched:
            return None
        if entry.sender == MERGE_SENDER:
            return {"kind": "rest", "operation": "Patient/$merge", "version": version.version}
        return {
            "kind": "message",
            "sender": entry.sender,
            "control_id": entry.control_id,
            "message_type": entry.message_type,
            "event_time": fhir_instant(entry.event_time) if entry.event_time else None,
            "version": version.version,
        }

    async def _history(self, resource_type: str, resource_id: str) -> list[Stored]:
        key = (resource_type, resource_id)
        if key not in self._histories:
            versions = []
            cursor = None
            while True:
                page = await self.store.history(
                    HistoryQuery(resource_type, resource_id, None, _PAGE, cursor)
                )
                versions.extend(page.versions)
                cursor = page.next_cursor
                if cursor is None:
                    break
            versions.sort(key=lambda v: v.version)
            self._histories[key] = [Stored.of(resource_type, v) for v in versions]
        return self._histories[key]


def _number(stored: Stored) -> int:
    return stored.version.version if stored.version is not None else 0


def _updated(stored: Stored) -> int:
    return stored.version.last_updated if stored.version is not None else 0


def _after(moment: int | None, than: int | None) -> bool:
    return moment is not None and than is not None and moment > than
