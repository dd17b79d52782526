"""Revoked access tokens: refused by the resource server until they would have expired.

Access tokens are self-contained JWTs: nothing in the store is asked to honour one, so
revoking one (RFC 7009, ``/auth/revoke``) puts its issuer and ``jti`` on a list in the store
(server.storage.auth_port.AuthRecords.revoke_token), kept until the token's ``exp``
plus the verifier's clock skew, after which the token is refused anyway.

The bearer check stays a set lookup: each server process holds the list in memory and
reads it again when it is older than ``REFRESH_INTERVAL`` (one store read, shared by
the requests that find it stale together; none while no token comes). The process that
revokes a token adds it at once; every other process on the store refuses it within
``REFRESH_INTERVAL`` seconds. A token without a ``jti`` cannot be named on the list.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from typing import Final

from server.auth.claims import Claims
from server.auth.tokens import SKEW
from server.storage.auth_port import AuthRecords

log = logging.getLogger("fhirport.auth")

REFRESH_INTERVAL: Final = 2.0  # seconds another process may still accept a revoked token


class RevokedTokens:
    """The ids of revoked access tokens, as this process last read them from the store."""

    def __init__(
        self,
        records: AuthRecords,
        *,
        interval: float = REFRESH_INTERVAL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.records = records
        self.interval = interval
        self.clock = clock
        self.ids: frozenset[str] = frozenset()
        self.fresh_until = -math.inf  # read on the first token seen
        self._reading: asyncio.Task[None] | None = None
        # Revoked here and not yet seen in a read of the store (one may be under way).
        self._own: dict[str, int] = {}

    async def refresh(self, now: float) -> None:
        """Read the list again (the one read in flight, if another request started it)."""
        reading = self._reading
        if reading is None or reading.done():
            reading = self._reading = asyncio.ensure_future(self._read(now))
        await asyncio.shield(reading)

    async def _read(self, now: float) -> None:
        try:
            stored = frozenset(await self.records.revoked_tokens(int(now)))
        except Exception:
            # The store cannot be read: no request it serves can be answered either; the
            # list read last stands until the next try.
            log.exception("Revoked tokens: the store's list could not be read")
        else:
            self._own = {j: e for j, e in self._own.items() if j not in stored and e > now}
            self.ids = stored | self._own.keys()
        self.fresh_until = now + self.interval

    def __contains__(self, claims: Claims) -> bool:
        """Whether the token ``claims`` came from is on the list."""
        key = revocation_key(claims)
        return key is not None and key in self.ids

    async def revoke(self, claims: Claims) -> bool:
        """Revoke the token ``claims`` came from; False when it has no ``jti`` to name."""
        key = revocation_key(claims)
        if key is None:
            return False
        # Kept past exp by the skew: until then the verifier would still accept the token.
        expires = claims.expires + SKEW
        await self.records.revoke_token(key, expires, int(self.clock()))
        self._own[key] = expires
        self.ids = self.ids | {key}
        return True


def revocation_key(claims: Claims) -> str | None:
    """What names a token on the list: its issuer and its ``jti``, unique only per issuer
    (RFC 7519, 4.1.7); a space never occurs in an issuer's URL. None without a ``jti``."""
    if claims.token_id is None:
        return None
    return f"{claims.issuer} {claims.token_id}"
