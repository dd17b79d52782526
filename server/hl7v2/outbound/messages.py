"""The messages of outbox entries, built when they are sent from the versions the store holds.

An entry names the version it announces, so a resend builds the same message; the
Patient of a Coverage's A08, an Appointment's SIU and a merge's survivor is read as it
is when the message is built. A batch of entries is built from one ``read_many`` (the
named version is usually the current one; an older one is read with ``vread``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from mappers.config import MappingConfig
from mappers.fhir_to_v2.header import Header
from mappers.fhir_to_v2.messages import adt_message, siu_message
from server.hl7v2.outbound.config import Destination, OutboundFeed
from server.storage.port import OutboxEntry, Store, StoredVersion

Key = tuple[str, str]


class Unbuildable(Exception):
    """The entry's message cannot be built (its version or its patient is gone)."""


def _timestamp(microseconds: int) -> str:
    moment = datetime.fromtimestamp(microseconds / 1_000_000, UTC)
    return moment.strftime("%Y%m%d%H%M%S+0000")


def _body(version: StoredVersion | None, what: str) -> dict[str, Any]:
    if version is None or version.body is None:
        raise Unbuildable(f"{what} is not stored (or is deleted)")
    document: dict[str, Any] = orjson.loads(version.body)
    return document


class MessageBuilder:
    """Builds entries' messages for one feed from one store."""

    def __init__(self, store: Store, feed: OutboundFeed, config: MappingConfig) -> None:
        self.store = store
        self.feed = feed
        self.config = config

    async def build_many(
        self, entries: Sequence[OutboxEntry], destination: Destination
    ) -> list[str | Unbuildable]:
        """The ER7 text of each entry for ``destination``, or why it cannot be built."""
        keys: set[Key] = set()
        for entry in entries:
            keys.add((entry.resource_type, entry.resource_id))
            if entry.patient:
                keys.add(("Patient", entry.patient))
        current = await self.store.read_many(sorted(keys))
        built: list[str | Unbuildable] = []
        for entry in entries:
            try:
                named = current.get((entry.resource_type, entry.resource_id))
                if named is None or named.version != entry.version:
                    named = await self.store.vread(
                        entry.resource_type, entry.resource_id, entry.version
                    )
                built.append(self._message(entry, destination, named, current))
            except Unbuildable as exc:
                built.append(exc)
        return built

    def _message(
        self,
        entry: OutboxEntry,
        destination: Destination,
        named: StoredVersion | None,
        current: dict[Key, StoredVersion | None],
    ) -> str:
        header = Header(
            sending=(self.feed.application, self.feed.facility),
            receiving=(destination.application, destination.facility),
            message_type=entry.message_type,
            control_id=entry.id,
            timestamp=_timestamp(entry.created),
        )
        what = f"{entry.resource_type}/{entry.resource_id}/_history/{entry.version}"
        body = _body(named, what)

        def patient() -> dict[str, Any]:
            key = ("Patient", entry.patient)
            return _body(current.get(key), f"Patient/{entry.patient}")

        if entry.resource_type == "Appointment":
            return siu_message(header, body, patient() if entry.patient else None, self.config)
        if entry.resource_type == "Coverage":
            return adt_message(header, patient(), self.config, coverages=[body])
        if entry.message_type == "ADT^A40":
            return adt_message(header, patient(), self.config, retired=body)
        return adt_message(header, body, self.config)
