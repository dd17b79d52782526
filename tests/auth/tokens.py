"""Mint access tokens as an external authorization server would, for tests.

``auth_settings(tmp_path)`` writes this issuer's JWKS to a file and gives the three
Settings that make the server trust it; ``issue(scope, ...)`` signs a token that such a
server accepts. ``sign`` is the lower level, for tokens that must be refused.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import orjson
from joserfc import jwt
from joserfc.jwk import ECKey, Key, KeySet

ISSUER = "https://issuer.test/realms/fhirport"
AUDIENCE = "https://fhirport.test/fhir"
KEY_ID = "test-issuer-key-1"
KEY = ECKey.generate_key("P-256", parameters={"kid": KEY_ID}, private=True)


def jwks(*keys: Key) -> dict[str, Any]:
    """The public JWKS document of ``keys`` (default: the test issuer's key)."""
    return dict(KeySet(list(keys or (KEY,))).as_dict(private=False))


def write_jwks(path: Path, *keys: Key) -> Path:
    path.write_bytes(orjson.dumps(jwks(*keys)))
    return path


def auth_settings(tmp_path: Path) -> dict[str, str]:
    """The Settings fields that make a server trust the test issuer."""
    path = write_jwks(tmp_path / "issuer-jwks.json")
    return {"auth_issuer": ISSUER, "auth_jwks": str(path), "auth_audience": AUDIENCE}


def sign(
    claims: dict[str, Any],
    *,
    key: Key = KEY,
    algorithm: str = "ES256",
    header: dict[str, Any] | None = None,
) -> str:
    """``claims`` as a compact JWT signed with ``key`` (kid from the key unless given)."""
    protected = {"alg": algorithm, "kid": key.kid, **(header or {})}
    return jwt.encode(protected, claims, key, algorithms=[algorithm])


def issue(
    scope: str,
    *,
    patient: str | None = None,
    fhir_user: str | None = None,
    client_id: str = "test-client",
    **claims: Any,
) -> str:
    """An access token for ``scope`` from the test issuer; ``claims`` add or replace claims."""
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": client_id,
        "client_id": client_id,
        "scope": scope,
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
    }
    if patient is not None:
        payload["patient"] = patient
    if fhir_user is not None:
        payload["fhirUser"] = fhir_user
    payload.update(claims)
    return sign(payload)


class Clock:
    """A settable clock: ``now`` seconds since the epoch (the real time unless given)."""

    def __init__(self, now: float | None = None) -> None:
        self.now = time.time() if now is None else now

    def __call__(self) -> float:
        return self.now
