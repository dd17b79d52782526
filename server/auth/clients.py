"""Backend Services clients: registering one, and what a registration allows.

A client authenticates with a private key whose public half it registered (a JWKS
document, or a JWKS URL it serves; ``private_key_jwt``) or with a secret the server
generated (``client_secret_basic``; only a scrypt hash is kept, server.auth.secrets).
It may be granted ``system/`` scopes only: client_credentials has no user and no
launch patient for ``user/`` or ``patient/`` scopes to speak for.
"""

from __future__ import annotations

import secrets
import time
from typing import Any
from urllib.parse import urlsplit

import orjson
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from server.auth.scopes import Context, Scope, parse_scope, parse_scopes
from server.auth.secrets import hash_secret, new_secret
from server.storage.auth_port import AuthRecords, ClientRecord

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


class ClientError(ValueError):
    """A registration that cannot be accepted, with the reason."""


def check_scope(scope: str) -> str:
    """The scope string normalised to single spaces; ClientError unless all ``system/``."""
    parts = scope.split()
    if not parts:
        raise ClientError("A client needs at least one scope")
    for part in parts:
        parsed = parse_scope(part)
        if parsed is None or parsed.context is not Context.SYSTEM:
            raise ClientError(
                f"{part!r} is not a system/ scope (e.g. system/Patient.rs or system/*.read)"
            )
    return " ".join(parts)


def check_jwks(document: Any) -> str:
    """The JWKS as stored; ClientError unless it holds public signing keys, each with a kid."""
    try:
        keys = list(KeySet.import_key_set(document))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ClientError(f"Not a JWKS document: {exc}") from None
    if not keys:
        raise ClientError("The JWKS holds no keys")
    for key in keys:
        if key.kid is None:
            raise ClientError("Every key of the JWKS needs a kid")
        if key.is_private:
            raise ClientError(f"Key {key.kid!r} is private: register only the public key")
        if key.key_type not in ("RSA", "EC"):
            raise ClientError(f"Key {key.kid!r} is not an RSA or EC key")
    return orjson.dumps(document).decode()


def check_jwks_url(url: str) -> str:
    """``url`` if https (or http on a loopback host); ClientError otherwise."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        return url
    raise ClientError("A JWKS URL must be https (http only on localhost)")


async def register_client(
    records: AuthRecords,
    name: str,
    scope: str,
    *,
    jwks: Any = None,
    jwks_url: str | None = None,
    secret: bool = False,
) -> tuple[ClientRecord, str | None]:
    """Register a client with exactly one way to authenticate; its secret, once, if any."""
    if sum((jwks is not None, jwks_url is not None, secret)) != 1:
        raise ClientError("Give exactly one of a JWKS, a JWKS URL, or --secret")
    plain = new_secret() if secret else None
    record = ClientRecord(
        client_id=secrets.token_urlsafe(16),
        name=name,
        scope=check_scope(scope),
        created=int(time.time()),
        jwks=check_jwks(jwks) if jwks is not None else None,
        jwks_url=check_jwks_url(jwks_url) if jwks_url is not None else None,
        secret_hash=hash_secret(plain) if plain is not None else None,
    )
    await records.add_client(record)
    return record, plain


def describe(client: ClientRecord) -> dict[str, Any]:
    """What ``fhirport clients list`` shows of a client (never its secret's hash)."""
    shown: dict[str, Any] = {
        "client_id": client.client_id,
        "name": client.name,
        "scope": client.scope,
        "token_endpoint_auth_method": (
            "client_secret_basic" if client.secret_hash else "private_key_jwt"
        ),
        "created": client.created,
    }
    if client.jwks_url:
        shown["jwks_uri"] = client.jwks_url
    return shown


def granted_scopes(requested: str, registered: str) -> list[str]:
    """The requested scopes that one registered scope covers, as the client wrote them.

    A registered scope covers a requested one when both are ``system/``, the registered
    type is the requested one or ``*``, its letters include the requested letters (v1
    and v2 compare by their letters: ``read`` is ``rs``, ``write`` ``cud``, ``*`` all),
    and it has no search criteria or the very same ones. A request wider than every
    registration (``system/*.rs`` against ``system/Patient.rs``) is not narrowed: it is
    not granted, and the client asks for what it registered.
    """
    covering = [s for s in parse_scopes(registered) if s.context is Context.SYSTEM]
    granted: list[str] = []
    for raw in dict.fromkeys(requested.split()):
        wanted = parse_scope(raw)
        if wanted is None or wanted.context is not Context.SYSTEM:
            continue
        if any(_covers(scope, wanted) for scope in covering):
            granted.append(raw)
    return granted


def _covers(registered: Scope, wanted: Scope) -> bool:
    return (
        registered.resource_type in (None, wanted.resource_type)
        and set(wanted.letters) <= set(registered.letters)
        and registered.criteria in ((), wanted.criteria)
    )
