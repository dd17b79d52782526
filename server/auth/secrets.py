"""Client secrets: generated once, stored only as a salted scrypt hash, checked off-loop.

scrypt is deliberately slow and memory-hard, so a stolen store does not give the
secrets away cheaply; checking one costs tens of milliseconds, which is why
``verify_secret`` runs on a worker thread and never on the event loop.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1
_SALT_BYTES = 16
_LENGTH = 32


def new_secret() -> str:
    """A random client secret (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, dklen=_LENGTH)


def hash_secret(secret: str) -> str:
    """``scrypt$n$r$p$salt$hash``, the form a secret is stored in."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(secret, salt, _N, _R, _P)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def _matches(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        return hmac.compare_digest(_scrypt(secret, _unb64(salt), int(n), int(r), int(p)), expected)
    except ValueError:
        return False


async def verify_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` is the one ``stored`` was made from (on a worker thread)."""
    return await asyncio.to_thread(_matches, secret, stored)
