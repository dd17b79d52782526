"""The built-in authorization server's endpoints, outside the FHIR API.

``POST /auth/token`` (server.auth.token_endpoint), ``GET /auth/jwks`` (the public
halves of the server's signing keys), ``POST /auth/introspect`` and ``/auth/revoke``
(server.auth.introspection), ``POST /auth/launch`` (an EHR launch id for a patient,
server.auth.launch_contexts), the SMART discovery document at
``/.well-known/smart-configuration`` and ``/fhir/.well-known/smart-configuration``
(SMART App Launch 2.x, conformance) and the OpenID provider metadata. The
authorization endpoint and its pages are server.api.routes_authorize. Only
``/auth/launch`` needs a token. Their URLs are built
from the public base (``--base-url``, or the scheme and an allowed Host), never from a
Host the server does not answer to. Answers are OAuth JSON, not OperationOutcomes
(``/auth/launch``'s refusals excepted: it is a FHIR-side call).

Introspection, revocation and the launch leave their AuditEvents here
(server.api.routes_auth_audit; the token endpoint's is the audit middleware's), and
every client authentication goes through the per-address throttle
(server.auth.address_throttle).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import Response

from server.api import routes_authorize
from server.api.dependencies import Audit, TokenServer, get_access
from server.api.public_urls import public_base
from server.api.route_table import Row
from server.api.routes_auth_audit import (
    INTROSPECT,
    LOGOUT,
    record_auth,
    record_patient_access,
)
from server.audit.draft import current_draft
from server.audit.events import Code
from server.audit.trail import AuditTrail
from server.auth.access import Access as AccessRules
from server.auth.client_auth import named_client
from server.auth.console_client import console_client
from server.auth.discovery import (
    INTROSPECT_PATH,
    JWKS_PATH,
    LAUNCH_PATH,
    REVOKE_PATH,
    openid_configuration_document,
    smart_configuration_document,
)
from server.auth.discovery import TOKEN_PATH as TOKEN_PATH  # where the capability docs get it
from server.auth.introspection import introspect, revoke
from server.auth.issuers import server_root
from server.auth.launch_contexts import LAUNCH_LIFETIME
from server.auth.oauth import OAuthError, invalid_request, too_many
from server.auth.token_endpoint import USER_GRANTS, TokenRequest, TokenService
from server.auth.tokens import claims_of, unverified
from server.errors import FhirError, InvalidRequest, NotFound
from server.fhir.ids import is_fhir_id
from server.storage.auth_port import ClientRecord

MAX_FORM_BYTES = 64 * 1024  # a client assertion is a few kilobytes
_FORM = "application/x-www-form-urlencoded"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
T = TypeVar("T")


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
    server_root(public_base(request))
    authorization = request.headers.get("authorization")
    try:
        form = await _form(request)
        draft = current_draft.get()
        if draft is not None:  # who asked, for the login's AuditEvent, refused or not
            draft.client = named_client(form, authorization)
        token_request = _token_request(request, form, authorization)
        answer = await _throttled(request, tokens, lambda: tokens.issue(token_request))
    except OAuthError as exc:
        return _oauth_error(exc)
    if form.get("grant_type") in USER_GRANTS:
        # The token's user and client, for the token request's AuditEvent (its agents).
        claims = claims_of(unverified(answer["access_token"])[1])
        request.state.access = AccessRules.of(claims, ())
    return _json(answer, headers=_NO_STORE)


def _token_request(
    request: Request, form: dict[str, str], authorization: str | None
) -> TokenRequest:
    root = server_root(public_base(request))
    return TokenRequest(
        form=form,
        authorization=authorization,
        token_url=root + TOKEN_PATH,
        issuer=root,
        audience=public_base(request),
    )


async def _throttled(
    request: Request, tokens: TokenService, authenticate: Callable[[], Awaitable[T]]
) -> T:
    """``authenticate()``, unless this address failed too often lately; a failure counts.

    (server.auth.address_throttle)
    """
    address = request.client.host if request.client else None
    wait = await tokens.throttle.retry_after(address)
    if wait is not None:
        raise too_many(
            "Too many failed client authentications from this address; retry later", wait
        )
    try:
        return await authenticate()
    except OAuthError as exc:
        if exc.error == "invalid_client":
            await tokens.throttle.failed(address)
        raise


def _oauth_error(exc: OAuthError) -> Response:
    body = {"error": exc.error, "error_description": exc.description}
    return _json(body, exc.status, {**_NO_STORE, **exc.headers})


ClientAct = Callable[[dict[str, str], ClientRecord], Awaitable[Response]]


async def _as_client(
    request: Request, tokens: TokenService, audit: AuditTrail, subtype: Code, act: ClientAct
) -> Response:
    """Authenticate the client of an introspection or revocation request, then ``act``.

    The request leaves one AuditEvent naming the client (as claimed, when its
    authentication failed), whatever the answer.
    """
    authorization = request.headers.get("authorization")
    claimed = named_client({}, authorization)
    try:
        form = await _form(request)
        claimed = named_client(form, authorization)
        token_request = _token_request(request, form, authorization)
        client = await _throttled(
            request,
            tokens,
            lambda: tokens.clients.authenticate_app(
                form, authorization, token_request.token_url, console_client(token_request.issuer)
            ),
        )
        response = await act(form, client)
    except OAuthError as exc:
        response = _oauth_error(exc)
    record_auth(request, audit, subtype, response.status_code, client=claimed)
    return response


async def introspection(request: Request, tokens: TokenServer, audit: Audit) -> Response:
    verifier = request.app.state.runtime.tokens

    async def answer(form: dict[str, str], client: ClientRecord) -> Response:
        return _json(await introspect(form, client, verifier, tokens.grants), headers=_NO_STORE)

    return await _as_client(request, tokens, audit, INTROSPECT, answer)


async def revocation(request: Request, tokens: TokenServer, audit: Audit) -> Response:
    verifier = request.app.state.runtime.tokens

    async def answer(form: dict[str, str], client: ClientRecord) -> Response:
        await revoke(form, client, verifier, tokens.grants)
        return Response(status_code=200, headers=_NO_STORE)

    return await _as_client(request, tokens, audit, LOGOUT, answer)


async def launch(request: Request, tokens: TokenServer, audit: Audit) -> Response:
    """Mint an EHR launch id for the patient the form names (one the caller may read).

    The token is checked here, not by a dependency, so that a refused launch is audited
    as well as a served one.
    """
    access: AccessRules | None = None
    patient: str | None = None
    status = 500  # an unexpected error is answered 500 further out
    try:
        access = await get_access(request)
        try:
            form = await _form(request)
        except OAuthError as exc:
            raise InvalidRequest(exc.description, expression="patient") from None
        patient = form.get("patient", "").removeprefix("Patient/")
        if not is_fhir_id(patient):
            patient = None
            raise InvalidRequest("patient must be a Patient id", expression="patient")
        response = await _launch(request, tokens, access, patient)
        status = response.status_code
        return response
    except FhirError as exc:
        status = exc.status
        raise
    finally:
        claims = access.claims if access is not None else None
        record_patient_access(
            request,
            audit,
            "operation",
            status,
            client=claims.client_id if claims is not None else None,
            user=claims.fhir_user if claims is not None else None,
            patients=(patient,) if patient is not None else (),
        )


async def _launch(
    request: Request, tokens: TokenService, access: AccessRules, patient: str
) -> Response:
    access.require("Patient", "r")
    version = await request.app.state.runtime.store.read("Patient", patient)
    if version is None or version.deleted or not access.permits(version, "r"):
        raise NotFound(f"Patient/{patient} is not known")
    fhir_user = access.claims.fhir_user if access.claims is not None else None
    if fhir_user is not None:
        fhir_user = fhir_user.rpartition("/fhir/")[2] or fhir_user
    launch_id = await tokens.launches.mint(patient, fhir_user=fhir_user)
    body = {"launch": launch_id, "patient": patient, "expires_in": LAUNCH_LIFETIME}
    return _json(body, headers=_NO_STORE)


async def jwks(request: Request, tokens: TokenServer) -> Response:
    return _json(await tokens.keys.public_jwks())


async def smart_configuration(request: Request) -> Response:
    return _json(smart_configuration_document(server_root(public_base(request))))


async def openid_configuration(request: Request) -> Response:
    return _json(openid_configuration_document(server_root(public_base(request))))


ROUTES = (
    Row(TOKEN_PATH, ("POST",), token, prefix=""),
    Row(JWKS_PATH, ("GET",), jwks, prefix=""),
    Row(INTROSPECT_PATH, ("POST",), introspection, prefix=""),
    Row(REVOKE_PATH, ("POST",), revocation, prefix=""),
    Row(LAUNCH_PATH, ("POST",), launch, prefix=""),
    Row("/.well-known/openid-configuration", ("GET",), openid_configuration, prefix=""),
    *routes_authorize.ROUTES,
    Row("/.well-known/smart-configuration", ("GET",), smart_configuration, prefix=""),
    Row("/.well-known/smart-configuration", ("GET",), smart_configuration),
)
