"""The built-in authorization server's signing keys, kept in the store.

The first start on a store creates a key; ``fhirport keys rotate`` adds one. The newest
key signs; every key kept verifies, so tokens signed before a rotation stay valid until
they expire (at most ``server.auth.token_endpoint.TOKEN_LIFETIME`` later). A running
server reads the keys again when a token names a kid it does not know (another process
may have rotated) and before signing, each at most once per ``REFRESH_INTERVAL``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import orjson
from joserfc import jwt
from joserfc.jwk import ECKey, Key, KeySet

from server.storage.auth_port import AuthRecords, SigningKeyRecord

ALGORITHM = "ES256"
REFRESH_INTERVAL = 5.0  # seconds


def new_signing_key(created: int) -> SigningKeyRecord:
    """A fresh P-256 key, named by its JWK thumbprint, made at ``created`` (nanoseconds)."""
    key = ECKey.generate_key("P-256", private=True)
    kid = key.thumbprint()
    private = dict(key.as_dict(private=True), kid=kid, alg=ALGORITHM, use="sig")
    return SigningKeyRecord(kid, orjson.dumps(private).decode(), created)


async def ensure_signing_key(records: AuthRecords) -> None:
    """Create the first signing key of a store that has none."""
    if not await records.signing_keys():
        await rotate(records)


async def rotate(records: AuthRecords) -> str:
    """Add a signing key, which signs from now on; return its kid."""
    kept = await records.signing_keys()
    # Newer than every kept key even if the clock stepped back: creation orders them.
    created = max([time.time_ns(), *(key.created + 1 for key in kept)])
    record = new_signing_key(created)
    await records.add_signing_key(record)
    return record.kid


class SigningKeys:
    """The store's signing keys: a KeySource for verification, the newest for signing."""

    def __init__(
        self, records: AuthRecords, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.records = records
        self.clock = clock
        self._keys: dict[str, Key] = {}  # oldest first
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> Key | None:
        if kid not in self._keys:
            await self._refresh()
        return self._keys.get(kid)

    async def sign(self, claims: dict[str, Any]) -> str:
        """``claims`` as a JWT signed with the newest key."""
        await self._refresh()
        if not self._keys:
            raise LookupError("The store has no signing key")
        kid, key = next(reversed(self._keys.items()))
        return jwt.encode({"alg": ALGORITHM, "kid": kid}, claims, key, algorithms=[ALGORITHM])

    async def key_set(self) -> KeySet:
        """Every key, as a KeySet (to verify this server's tokens in-process)."""
        await self._refresh()
        return KeySet(list(self._keys.values()))

    async def public_jwks(self) -> dict[str, Any]:
        """The JWKS document of the public halves of every key."""
        await self._refresh()
        return dict(KeySet(list(self._keys.values())).as_dict(private=False))

    async def _refresh(self) -> None:
        if self._loaded_at is not None and self.clock() - self._loaded_at < REFRESH_INTERVAL:
            return
        async with self._lock:
            if self._loaded_at is not None and self.clock() - self._loaded_at < REFRESH_INTERVAL:
                return
            records = await self.records.signing_keys()
            self._keys = {r.kid: ECKey.import_key(orjson.loads(r.private_jwk)) for r in records}
            self._loaded_at = self.clock()
