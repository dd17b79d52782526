"""The built-in authorization server's endpoints, outside the FHIR API.

``POST /auth/token`` (server.auth.token_endpoint), ``GET /auth/jwks`` (the public
halves of the server's signing keys) and the SMART discovery document at
``/.well-known/smart-configuration`` and ``/fhir/.well-known/smart-configuration``
(SMART App Launch 2.x, conformance). None of them needs a token. Their URLs are built
from the public base (``--base-url``, or the scheme and an allowed Host), never from a
Host the server does not answer to. Answers are OAuth JSON, not OperationOutcomes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response

from server.api.dependencies import TokenServer
from server.api.public_urls import public_base
from server.api.route_table import Row
from server.audit.draft import current_draft
from server.auth.client_auth import named_client
from server.auth.issuers import server_root
from server.auth.oauth import OAuthError, invalid_request
from server.auth.token_endpoint import TokenRequest
from server.auth.tokens import ALGORITHMS

TOKEN_PATH = "/auth/token"  # noqa: S105 - a path, not a secret
JWKS_PATH = "/auth/jwks"
MAX_FORM_BYTES = 64 * 1024  # a client assertion is a few kilobytes
_FORM = "application/x-www-form-urlencoded"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_SCOPES_SUPPORTED = [
    f"{context}/*.{permission}"
    for context in ("system", "user", "patient")
    for permission in ("cruds", "rs", "read", "write")
]


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


async def _form(request: Request) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != _FORM:
        raise invalid_request(f"The token request's body must be {_FORM}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise invalid_request("The token request is too large")
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        raise invalid_request("The token request's body is not form-encoded") from None
    form = dict(pairs)
    if len(form) != len(pairs):  # RFC 6749 section 3.2
        raise invalid_request("A parameter is repeated")
    return form


async def token(request: Request, tokens: TokenServer) -> Response:
    root = server_root(public_base(request))
    authorization = request.headers.get("authorization")
    try:
        form = await _form(request)
        draft = current_draft.get()
        if draft is not None:  # who asked, for the login's AuditEvent, refused or not
            draft.client = named_client(form, authorization)
        answer = await tokens.issue(
            TokenRequest(
                form=form,
                authorization=authorization,
                token_url=root + TOKEN_PATH,
                issuer=root,
                audience=public_base(request),
            )
        )
    except OAuthError as exc:
        body = {"error": exc.error, "error_description": exc.description}
        return _json(body, exc.status, {**_NO_STORE, **exc.headers})
    return _json(answer, headers=_NO_STORE)


async def jwks(request: Request, tokens: TokenServer) -> Response:
    return _json(await tokens.keys.public_jwks())


async def smart_configuration(request: Request) -> Response:
    root = server_root(public_base(request))
    return _json(
        {
            "issuer": root,
            "jwks_uri": root + JWKS_PATH,
            "token_endpoint": root + TOKEN_PATH,
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"],
            "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
            "scopes_supported": _SCOPES_SUPPORTED,
            "capabilities": [
                "client-confidential-asymmetric",
                "client-confidential-symmetric",
                "permission-v1",
                "permission-v2",
            ],
        }
    )


ROUTES = (
    Row(TOKEN_PATH, ("POST",), token, prefix=""),
    Row(JWKS_PATH, ("GET",), jwks, prefix=""),
    Row("/.well-known/smart-configuration", ("GET",), smart_configuration, prefix=""),
    Row("/.well-known/smart-configuration", ("GET",), smart_configuration),
)
