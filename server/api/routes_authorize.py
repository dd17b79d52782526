"""The authorization endpoint and its pages: ``/auth/authorize``, sign-in, patient picker, approval.

The browser holds the authorization in progress only as a cookie naming it
(``REQUEST_COOKIE``: HttpOnly, SameSite=Lax, path ``/auth``); the store holds the rest
(server.auth.authorize), so any server process on the store can serve the next page.
Every form carries the CSRF token of that authorization, checked before anything is
done: a page on another site can neither read it nor post without it. Each page shows
only when it is the authorization's next step, otherwise the browser is sent there.
Sign-ins, successful or not, single sign-on included, and sign-outs leave an AuditEvent
(DICOM Login, Logout), the patient picker's search and reads one each as FHIR reads
would (server.api.routes_auth_audit). A network address with too many failed sign-ins
waits before any password is checked (server.auth.address_throttle).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.api.dependencies import Audit, Engine, TokenServer
from server.api.public_urls import public_base
from server.api.request_body import read_body
from server.api.route_table import Row
from server.api.routes_auth_audit import LOGIN, LOGOUT, record_auth, record_patient_access
from server.auth.authorize import Authorizer, PageError, Pending, RedirectError
from server.auth.grants import Grant
from server.auth.issuers import server_root
from server.auth.patient_picker import find_patients, user_access, visible_patient
from server.auth.sessions import close_session, open_session, session_user
from server.auth.sign_in_pages import error_page, page, patient_label
from server.auth.user_scopes import explain
from server.auth.users import SignInRefused, sign_in
from server.errors import FhirError
from server.fhir.ids import is_fhir_id
from server.storage.auth_port import UserRecord

REQUEST_COOKIE = "fhirport_authorize"
SESSION_COOKIE = "fhirport_session"
MAX_FORM_BYTES = 16 * 1024  # a sign-in form is a few hundred bytes
_EXPIRED = "This sign-in has expired or was completed already."
THROTTLED = "Too many failed sign-ins from this network address: try again later."


def _redirect(location: str) -> Response:
    return RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})


def _set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    """A cookie only the authorization server's pages get, never script, never cross-site."""
    secure = public_base(request).startswith("https:")
    response.set_cookie(name, value, httponly=True, samesite="lax", path="/auth", secure=secure)


@dataclass(frozen=True, slots=True)
class _Step:
    """The authorization a page request continues, and the form it posted (if any)."""

    grant: Grant
    pending: Pending
    form: dict[str, str] | None = None

    def field(self, name: str) -> str | None:
        return self.form.get(name) if self.form is not None else None


async def _step(request: Request, authorizer: Authorizer, page_step: str) -> _Step | Response:
    """The authorization in progress if this page is its next step; else the answer to give.

    A post must carry the authorization's CSRF token; a page that is not the next step
    sends the browser to the one that is.
    """
    current = await authorizer.pending(request.cookies.get(REQUEST_COOKIE))
    if current is None:
        return error_page(_EXPIRED)
    grant, pending = current
    form = None
    if request.method == "POST":
        try:
            body = await read_body(request, MAX_FORM_BYTES)
        except FhirError as exc:
            return error_page("The form could not be read.", exc.status)
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        sent = form.get("csrf_token")
        if sent is None or not hmac.compare_digest(sent, pending.csrf):
            return error_page("The form was not sent from this server's page.", 403)
    if pending.next_step() != page_step:
        return await _advance(authorizer, grant, pending)
    return _Step(grant, pending, form)


async def _advance(authorizer: Authorizer, grant: Grant, pending: Pending) -> Response:
    """Send the browser to the authorization's next page, or to the app with its code."""
    step = pending.next_step()
    if step != "done":
        return _redirect(f"/auth/{step}")
    return await _finish(authorizer, grant, pending)


async def _finish(authorizer: Authorizer, grant: Grant, pending: Pending) -> Response:
    try:
        return _redirect(await authorizer.finish(grant, pending))
    except PageError as exc:
        return error_page(exc.message, exc.status)


async def authorize(request: Request, tokens: TokenServer, audit: Audit) -> Response:
    base = public_base(request)
    try:
        request_id, pending = await tokens.authorizer.start(
            request.query_params.multi_items(), root=server_root(base), fhir_base=base
        )
    except PageError as exc:
        return error_page(exc.message, exc.status)
    except RedirectError as exc:
        return _redirect(exc.location)
    response = _redirect(f"/auth/{pending.next_step()}")
    user = None
    if request.query_params.get("prompt") != "login":
        user = await session_user(
            tokens.grants, tokens.records, request.cookies.get(SESSION_COOKIE)
        )
    if user is not None:
        refusal = _signed_in(request, tokens, audit, pending, user)
        current = await tokens.authorizer.pending(request_id)
        if refusal is not None or current is None:
            return _redirect(refusal or pending.denied())
        await tokens.authorizer.save(current[0], pending)
        response = await _advance(tokens.authorizer, current[0], pending)
    _set_cookie(request, response, REQUEST_COOKIE, request_id)
    return response


async def sign_out(request: Request, tokens: TokenServer, audit: Audit) -> Response:
    """End the browser's single sign-on session (its apps' tokens are revoked apart)."""
    session = request.cookies.get(SESSION_COOKIE)
    user = await session_user(tokens.grants, tokens.records, session)
    await close_session(tokens.grants, session)
    fhir_user = user.fhir_user if user is not None else None
    record_auth(request, audit, LOGOUT, 200, client=None, user=_user_url(request, fhir_user))
    response = page("error.html", title="Signed out", message="You are signed out.")
    response.delete_cookie(SESSION_COOKIE, path="/auth")
    return response


async def sign_in_page(request: Request, tokens: TokenServer) -> Response:
    step = await _step(request, tokens.authorizer, "sign-in")
    return step if isinstance(step, Response) else _sign_in_form(step.pending)


def _sign_in_form(
    pending: Pending, error: str = "", username: str = "", status: int = 200
) -> Response:
    return page(
        "sign_in.html",
        status,
        title="Sign in",
        client_name=pending.client_name,
        csrf=pending.csrf,
        error=error,
        username=username,
    )


async def sign_in_submit(request: Request, tokens: TokenServer, audit: Audit) -> Response:
    step = await _step(request, tokens.authorizer, "sign-in")
    if isinstance(step, Response):
        if step.status_code >= 400:  # expired, unreadable, or not posted from our page
            record_auth(request, audit, LOGIN, step.status_code, client=None)
        return step
    grant, pending = step.grant, step.pending
    username, password = step.field("username"), step.field("password")
    if username is None or password is None:
        record_auth(request, audit, LOGIN, 400, client=pending.client_id)
        return _sign_in_form(pending, "Enter your user name and password.", status=400)
    address = request.client.host if request.client else None
    wait = await tokens.throttle.retry_after(address)
    if wait is not None:
        refused = f"Sign-in refused for {username!r}: {THROTTLED}"
        record_auth(request, audit, LOGIN, 429, client=pending.client_id, description=refused)
        response = _sign_in_form(pending, THROTTLED, username, 429)
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        user = await sign_in(tokens.records, username, password)
    except SignInRefused as exc:
        await tokens.throttle.failed(address)
        status = 429 if exc.locked else 401
        refused = f"Sign-in refused for {username!r}: {exc}"
        record_auth(request, audit, LOGIN, status, client=pending.client_id, description=refused)
        return _sign_in_form(pending, str(exc), username, status)
    refusal = _signed_in(request, tokens, audit, pending, user)
    if refusal is not None:
        await tokens.grants.close(grant)
        return _redirect(refusal)
    await tokens.authorizer.save(grant, pending)
    response = await _advance(tokens.authorizer, grant, pending)
    _set_cookie(request, response, SESSION_COOKIE, await open_session(tokens.grants, username))
    return response


def _signed_in(
    request: Request, tokens: TokenServer, audit: Audit, pending: Pending, user: UserRecord
) -> str | None:
    """Record the sign-in (a Login) and whether its user may go on (a refusal's redirect)."""
    user_url = _user_url(request, user.fhir_user)
    record_auth(request, audit, LOGIN, 200, client=pending.client_id, user=user_url)
    return tokens.authorizer.signed_in(pending, user)


def _user_url(request: Request, fhir_user: str | None) -> str | None:
    """The user's FHIR resource as an absolute URL, as their tokens' ``fhirUser`` says it."""
    return f"{public_base(request)}/{fhir_user}" if fhir_user is not None else None


async def pick_patient_page(
    request: Request, tokens: TokenServer, engine: Engine, audit: Audit
) -> Response:
    step = await _step(request, tokens.authorizer, "pick-patient")
    if isinstance(step, Response):
        return step
    pending = step.pending
    assert pending.fhir_user is not None  # a signed-in user is what makes this the step
    name = request.query_params.get("name", "")
    access = user_access(pending.fhir_user, pending.client_id, engine.base_urls)
    found = await find_patients(engine, access, name)
    if name.strip():
        record_patient_access(
            request,
            audit,
            "search-type",
            200,
            client=pending.client_id,
            user=_user_url(request, pending.fhir_user),
            patients=tuple(str(p["id"]) for p in found),
            query={"name": name},
        )
    return page(
        "pick_patient.html",
        title="Choose a patient",
        client_name=pending.client_name,
        csrf=pending.csrf,
        name=name,
        error="",
        patients=[{"id": p.get("id"), "label": patient_label(p)} for p in found],
    )


async def pick_patient_submit(
    request: Request, tokens: TokenServer, engine: Engine, audit: Audit
) -> Response:
    step = await _step(request, tokens.authorizer, "pick-patient")
    if isinstance(step, Response):
        return step
    grant, pending = step.grant, step.pending
    assert pending.fhir_user is not None
    chosen = step.field("patient")
    access = user_access(pending.fhir_user, pending.client_id, engine.base_urls)
    if chosen is None or not is_fhir_id(chosen):
        return error_page("Choose a patient from the list.")
    visible = await visible_patient(engine.store, access, chosen)
    record_patient_access(
        request,
        audit,
        "read",
        404 if visible is None else 200,
        client=pending.client_id,
        user=_user_url(request, pending.fhir_user),
        patients=(chosen,),
    )
    if visible is None:
        return error_page("No such patient, or not one you may see.", 404)
    pending.patient = chosen
    await tokens.authorizer.save(grant, pending)
    return await _advance(tokens.authorizer, grant, pending)


async def approve_page(
    request: Request, tokens: TokenServer, engine: Engine, audit: Audit
) -> Response:
    step = await _step(request, tokens.authorizer, "approve")
    if isinstance(step, Response):
        return step
    pending = step.pending
    own = pending.user_type == "Patient"
    label = None
    if pending.patient is not None:
        version = await engine.store.read("Patient", pending.patient)
        if version is not None and version.body is not None:
            label = patient_label(orjson.loads(version.body))
            record_patient_access(
                request,
                audit,
                "read",
                200,
                client=pending.client_id,
                user=_user_url(request, pending.fhir_user),
                patients=(pending.patient,),
            )
    return page(
        "approve.html",
        title="Allow access?",
        client_name=pending.client_name,
        username=pending.username,
        patient_label=label,
        csrf=pending.csrf,
        scopes=[(scope, explain(scope, own_record=own)) for scope in pending.granted()],
    )


async def approve_submit(request: Request, tokens: TokenServer) -> Response:
    step = await _step(request, tokens.authorizer, "approve")
    if isinstance(step, Response):
        return step
    if step.field("decision") != "allow":
        await tokens.grants.close(step.grant)
        return _redirect(step.pending.denied())
    return await _finish(tokens.authorizer, step.grant, step.pending)


ROUTES = (
    Row("/auth/authorize", ("GET",), authorize, prefix=""),
    Row("/auth/sign-in", ("GET",), sign_in_page, prefix="", documented=False),
    Row("/auth/sign-in", ("POST",), sign_in_submit, prefix="", documented=False),
    Row("/auth/pick-patient", ("GET",), pick_patient_page, prefix="", documented=False),
    Row("/auth/pick-patient", ("POST",), pick_patient_submit, prefix="", documented=False),
    Row("/auth/approve", ("GET",), approve_page, prefix="", documented=False),
    Row("/auth/approve", ("POST",), approve_submit, prefix="", documented=False),
    Row("/auth/sign-out", ("POST",), sign_out, prefix=""),
)
