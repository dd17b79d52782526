"""The built-in authorization server's signing keys, kept in the store.

The first start on a store creates an ES256 (P-256) key, which signs access tokens; the
first ID token signed makes an RS256 (RSA) key, which signs ID tokens, OpenID Connect's
default algorithm. ``fhirport keys rotate`` adds keys. The newest key of an algorithm
signs; every key kept verifies, so tokens signed before a rotation stay valid until
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
from joserfc.jwk import ECKey, Key, KeySet, RSAKey, import_key

from server.storage.auth_port import AuthRecords, SigningKeyRecord

ALGORITHM = "ES256"  # the access tokens'
ID_TOKEN_ALGORITHM = "RS256"  # noqa: S105 - OpenID Connect's default, an algorithm name
# What an app may have its ID tokens signed with (its registration says; the default first).
ID_TOKEN_ALGORITHMS = (ID_TOKEN_ALGORITHM, ALGORITHM)
REFRESH_INTERVAL = 5.0  # seconds
_RSA_BITS = 2048


def _generate(algorithm: str) -> Key:
    if algorithm == ID_TOKEN_ALGORITHM:
        return RSAKey.generate_key(_RSA_BITS, private=True)
    if algorithm == ALGORITHM:
        return ECKey.generate_key("P-256", private=True)
    raise ValueError(f"The server signs with {ALGORITHM} or {ID_TOKEN_ALGORITHM}, not {algorithm}")


def new_signing_key(created: int, algorithm: str = ALGORITHM) -> SigningKeyRecord:
    """A fresh key for ``algorithm`` (P-256 or RSA), named by its JWK thumbprint, made at
    ``created`` (nanoseconds)."""
    key = _generate(algorithm)
    kid = key.thumbprint()
    private = dict(key.as_dict(private=True), kid=kid, alg=algorithm, use="sig")
    return SigningKeyRecord(kid, orjson.dumps(private).decode(), created)


async def ensure_signing_key(records: AuthRecords) -> None:
    """Create the first signing key of a store that has none."""
    if not await records.signing_keys():
        await rotate(records)


async def rotate(records: AuthRecords, algorithm: str = ALGORITHM) -> str:
    """Add a signing key for ``algorithm``, which signs from now on; return its kid."""
    kept = await records.signing_keys()
    # Newer than every kept key even if the clock stepped back: creation orders them.
    created = max([time.time_ns(), *(key.created + 1 for key in kept)])
    # Making an RSA key takes long enough to hold up other requests: off the loop.
    record = await asyncio.to_thread(new_signing_key, created, algorithm)
    await records.add_signing_key(record)
    return record.kid


def _algorithm(key: Key) -> str:
    # Keys made before RSA ones were added name ES256 too; an RSA key can only be RS256.
    return ID_TOKEN_ALGORITHM if isinstance(key, RSAKey) else ALGORITHM


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

    async def sign(self, claims: dict[str, Any], algorithm: str = ALGORITHM) -> str:
        """``claims`` as a JWT signed with the newest key for ``algorithm``.

        A store without an RS256 key gets one the first time an ID token is signed (made
        then, not at every start: an RSA key takes a while to make). Two processes making
        one at once each keep theirs; both verify.
        """
        await self._refresh()
        found = self._newest(algorithm)
        if found is None and algorithm == ID_TOKEN_ALGORITHM:
            async with self._lock:
                if self._newest(algorithm) is None:
                    await rotate(self.records, algorithm)
                    await self._load()
            found = self._newest(algorithm)
        if found is None:
            raise LookupError(f"The store has no {algorithm} signing key")
        kid, key = found
        return jwt.encode({"alg": algorithm, "kid": kid}, claims, key, algorithms=[algorithm])

    def _newest(self, algorithm: str) -> tuple[str, Key] | None:
        for kid, key in reversed(self._keys.items()):
            if _algorithm(key) == algorithm:
                return kid, key
        return None

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
            await self._load()

    async def _load(self) -> None:
        # A key never changes once kept: only the new ones are parsed (an RSA one is slow).
        known = self._keys
        self._keys = {
            r.kid: known.get(r.kid) or import_key(orjson.loads(r.private_jwk))
            for r in await self.records.signing_keys()
        }
        self._loaded_at = self.clock()
