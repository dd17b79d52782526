"""Clients: registering one, and what a registration allows.

A Backend Services client authenticates with a private key whose public half it registered (a JWKS
document, or a JWKS URL it serves; ``private_key_jwt``) or with a secret the server
generated (``client_secret_basic``; only a scrypt hash is kept, server.auth.secrets).
It may be granted ``system/`` scopes only: client_credentials has no user and no
launch patient for ``user/`` or ``patient/`` scopes to speak for.

A SMART app (one with redirect URIs: the authorization code flow) may be granted
``user/`` and ``patient/`` scopes and the launch and identity scopes besides; a public
app (``--public``, a browser or native app that cannot keep a secret) authenticates with
nothing but PKCE, and no ``system/`` scope is for it. Its redirect URIs are compared
exactly (RFC 6749 section 3.1.2, SMART App Launch 2.x), so each is registered in full:
absolute, https (http only on a loopback host), and without a fragment.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import orjson
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from server.auth.scopes import Context, Scope, parse_scope, parse_scopes
from server.auth.secrets import hash_secret, new_secret
from server.auth.signing_keys import ID_TOKEN_ALGORITHMS
from server.storage.auth_port import AuthRecords, ClientRecord

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
# Scopes that grant no resource access themselves (SMART App Launch 2.x, scopes-and-launch-context).
APP_SCOPES = frozenset(
    {"launch", "launch/patient", "openid", "fhirUser", "profile", "offline_access", "online_access"}
)


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


def check_app_scope(scope: str, *, public: bool) -> str:
    """An app's scope string normalised; ClientError for an unknown scope (or public system/)."""
    parts = scope.split()
    if not parts:
        raise ClientError("A client needs at least one scope")
    for part in parts:
        if part in APP_SCOPES:
            continue
        parsed = parse_scope(part)
        if parsed is None:
            raise ClientError(f"{part!r} is not a SMART scope")
        if public and parsed.context is Context.SYSTEM:
            raise ClientError(f"{part!r}: a public client gets no system/ scopes")
    return " ".join(parts)


def check_redirect_uri(uri: str) -> str:
    """``uri`` if it can be registered as a redirect URI; ClientError otherwise."""
    parts = urlsplit(uri)
    if parts.fragment or "#" in uri:
        raise ClientError(f"{uri!r}: a redirect URI has no fragment")
    if not parts.netloc:
        raise ClientError(f"{uri!r}: a redirect URI is absolute")
    return check_web_url(uri, "A redirect URI")


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


def check_web_url(url: str, what: str = "A JWKS URL") -> str:
    """``url`` if https (or http on a loopback host); ClientError otherwise."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        return url
    raise ClientError(f"{what} must be https (http only on localhost)")


def check_jwks_url(url: str) -> str:
    """``url`` if https (or http on a loopback host); ClientError otherwise."""
    return check_web_url(url)


async def register_client(
    records: AuthRecords,
    name: str,
    scope: str,
    *,
    jwks: Any = None,
    jwks_url: str | None = None,
    secret: bool = False,
    redirect_uris: Sequence[str] = (),
    public: bool = False,
    launch_url: str | None = None,
    id_token_alg: str | None = None,
) -> tuple[ClientRecord, str | None]:
    """Register a client with exactly one way to authenticate; its secret, once, if any.

    A public client has no way at all and must be an app (``redirect_uris``).
    ``id_token_alg``: how its ID tokens are signed (RS256, the default, or ES256).
    """
    ways = sum((jwks is not None, jwks_url is not None, secret))
    if public and ways:
        raise ClientError("A public client has no JWKS, JWKS URL or secret")
    if public and not redirect_uris:
        raise ClientError("A public client is an app: give its --redirect-uri")
    if not public and ways != 1:
        raise ClientError("Give exactly one of a JWKS, a JWKS URL, or --secret (or --public)")
    if launch_url is not None and not redirect_uris:
        raise ClientError("Only an app (with --redirect-uri) can be launched")
    if id_token_alg not in (None, *ID_TOKEN_ALGORITHMS):
        raise ClientError(f"ID tokens are signed with one of {', '.join(ID_TOKEN_ALGORITHMS)}")
    plain = new_secret() if secret else None
    record = ClientRecord(
        client_id=secrets.token_urlsafe(16),
        name=name,
        scope=check_app_scope(scope, public=public) if redirect_uris else check_scope(scope),
        created=int(time.time()),
        jwks=check_jwks(jwks) if jwks is not None else None,
        jwks_url=check_jwks_url(jwks_url) if jwks_url is not None else None,
        secret_hash=hash_secret(plain) if plain is not None else None,
        redirect_uris=" ".join(check_redirect_uri(uri) for uri in redirect_uris) or None,
        public=public,
        launch_url=check_web_url(launch_url, "A launch URL") if launch_url else None,
        id_token_alg=id_token_alg,
    )
    await records.add_client(record)
    return record, plain


def auth_method(client: ClientRecord) -> str:
    """How the client authenticates at the token endpoint (RFC 7591 names)."""
    if client.public:
        return "none"
    return "client_secret_basic" if client.secret_hash else "private_key_jwt"


def redirect_uris(client: ClientRecord) -> list[str]:
    """The client's registered redirect URIs (none for a Backend Services client)."""
    return client.redirect_uris.split() if client.redirect_uris else []


def describe(client: ClientRecord) -> dict[str, Any]:
    """What ``fhirport clients list`` shows of a client (never its secret's hash)."""
    shown: dict[str, Any] = {
        "client_id": client.client_id,
        "name": client.name,
        "scope": client.scope,
        "token_endpoint_auth_method": auth_method(client),
        "created": client.created,
    }
    if client.jwks_url:
        shown["jwks_uri"] = client.jwks_url
    if client.redirect_uris:
        shown["redirect_uris"] = redirect_uris(client)
    if client.launch_url:
        shown["launch_url"] = client.launch_url
    if client.id_token_alg:
        shown["id_token_signed_response_alg"] = client.id_token_alg
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
        if any(covers(scope, wanted) for scope in covering):
            granted.append(raw)
    return granted


def covers(registered: Scope, wanted: Scope) -> bool:
    """Whether a registered scope covers a requested one of the same context."""
    return (
        registered.context is wanted.context
        and registered.resource_type in (None, wanted.resource_type)
        and set(wanted.letters) <= set(registered.letters)
        and registered.criteria in ((), wanted.criteria)
    )
