"""What the authorization server hands out and honours for a while, kept in the store.

Authorization codes, refresh tokens, launch contexts and authorization requests in
progress are random values given to a browser or an app; the store keeps only a hash
of each (a copy of the store does not give them away) with a JSON payload and an
expiry (server.storage.auth_port.GrantRecord). Single-use values are claimed through
``AuthRecords.use_grant``, one conditional update in the store, so two processes on it
cannot both redeem one code.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from server.storage.auth_port import AuthRecords, GrantRecord


def new_value() -> str:
    """A fresh unguessable value (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    """What the store keys a value by."""
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Grant:
    """A grant found in the store, its payload parsed."""

    record: GrantRecord
    payload: dict[str, Any]


def _parsed(record: GrantRecord | None) -> Grant | None:
    return None if record is None else Grant(record, orjson.loads(record.payload))


class Grants:
    """Issue, look up and claim grants of the store."""

    def __init__(self, records: AuthRecords, *, clock: Callable[[], float] = time.time) -> None:
        self.records = records
        self.clock = clock

    def now(self) -> int:
        return int(self.clock())

    async def issue(
        self,
        kind: str,
        payload: dict[str, Any],
        lifetime: int,
        *,
        family: str | None = None,
        value: str | None = None,
    ) -> str:
        """Keep a grant for ``lifetime`` seconds; its value (new unless given) to hand out."""
        value = value or new_value()
        now = self.now()
        record = GrantRecord(
            kind,
            digest(value),
            family or new_value(),
            orjson.dumps(payload).decode(),
            now + lifetime,
        )
        await self.records.put_grant(record, now)
        return value

    async def find(self, kind: str, value: str) -> Grant | None:
        """The unexpired grant, used or revoked or not."""
        return _parsed(await self.records.grant(kind, digest(value), self.now()))

    async def claim(self, kind: str, value: str) -> Grant | None:
        """The grant, claimed now for good; None if unknown, expired, used or revoked."""
        return _parsed(await self.records.use_grant(kind, digest(value), self.now()))

    async def revoke_family(self, family: str) -> None:
        await self.records.revoke_family(family)

    async def update(self, grant: Grant, payload: dict[str, Any]) -> None:
        """Replace a grant's payload, keeping its family and expiry."""
        record = grant.record
        changed = GrantRecord(
            record.kind, record.key, record.family, orjson.dumps(payload).decode(), record.expires
        )
        await self.records.put_grant(changed, self.now())

    async def close(self, grant: Grant) -> bool:
        """Claim a grant in hand for good; False if it was claimed (or revoked) already."""
        record = grant.record
        return await self.records.use_grant(record.kind, record.key, self.now()) is not None
