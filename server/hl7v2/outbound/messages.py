"""The message of an outbox entry, built when it is sent from the versions the store holds.

The entry names the version it announces, so a resend builds the same message; the
Patient of a Coverage's A08, an Appointment's SIU and a merge's survivor is read as it
is when the message is built.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from mappers.config import MappingConfig
from mappers.fhir_to_v2.header import Header
from mappers.fhir_to_v2.messages import adt_message, siu_message
from server.hl7v2.outbound.config import Destination, OutboundFeed
from server.storage.port import OutboxEntry, Store, StoredVersion


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

    async def build(self, entry: OutboxEntry, destination: Destination) -> str:
        """The ER7 text of ``entry`` for ``destination``; Unbuildable if it cannot be."""
        header = Header(
            sending=(self.feed.application, self.feed.facility),
            receiving=(destination.application, destination.facility),
            message_type=entry.message_type,
            control_id=entry.id,
            timestamp=_timestamp(entry.created),
        )
        named = await self.store.vread(entry.resource_type, entry.resource_id, entry.version)
        what = f"{entry.resource_type}/{entry.resource_id}/_history/{entry.version}"
        body = _body(named, what)
        if entry.resource_type == "Appointment":
            patient = await self._patient(entry.patient) if entry.patient else None
            return siu_message(header, body, patient, self.config)
        if entry.resource_type == "Coverage":
            patient = await self._patient(entry.patient)
            return adt_message(header, patient, self.config, coverages=[body])
        if entry.message_type == "ADT^A40":
            survivor = await self._patient(entry.patient)
            return adt_message(header, survivor, self.config, retired=body)
        return adt_message(header, body, self.config)

    async def _patient(self, patient_id: str) -> dict[str, Any]:
        return _body(await self.store.read("Patient", patient_id), f"Patient/{patient_id}")
