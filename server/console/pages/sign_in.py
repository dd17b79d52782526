"""Signing in and out of the console.

With ``--auth smart`` a visitor signs in before any page opens: the console sends the
browser to the built-in authorization server (server.console.oauth_client) and comes
back to ``/signed-in`` with a code it exchanges for the user's tokens. A token from
elsewhere (the external issuer the server trusts) can be handed over on the sign-in
page instead. Either way the tokens stay in the server-side session and the user's
access token is the bearer token of every API call the console makes for that browser.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from starlette.responses import RedirectResponse, Response

from server.auth.console_client import CONSOLE_REDIRECT_PATH
from server.console.api_client import FhirApi
from server.console.oauth_client import authorize_url, exchange, revoke, user_of
from server.console.page import Page, PageRoute, switch_session

TOKEN_LIMIT: Final = 8192


def _local(target: str) -> str:
    """``target`` when it is a path on this site, else the home page (no open redirect)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _page(page: Page, target: str, message: str | None = None, status: int = 200) -> Response:
    return page.render("sign_in.html", status=status, title="Sign in", next=target, message=message)


async def sign_in_page(page: Page) -> Response:
    return _page(page, _local(page.request.query_params.get("next", "/")))


async def start(page: Page) -> Response:
    target = _local(page.request.query_params.get("next", "/"))
    return RedirectResponse(authorize_url(page.request, page.session, target), 303)


async def signed_in(page: Page) -> Response:
    """The authorization server's answer: a code to exchange, or the reason there is none."""
    params = page.request.query_params
    pending = page.session.pending.pop(params.get("state", ""), None)
    if pending is None:
        return _page(page, "/", "That sign-in was not started here, or has expired.", 400)
    if "error" in params:
        reason = params.get("error_description") or params["error"]
        return _page(page, pending["next"], f"Not signed in: {reason}.", 400)
    async with FhirApi(page.request.app, page.request, None) as anonymous:
        token = await exchange(anonymous, page.request, params.get("code", ""), pending["verifier"])
    if token is None:
        return _page(page, pending["next"], "The sign-in could not be completed.", 400)
    session = page.console.sessions.sign_in(
        page.session,
        token["access_token"],
        user=user_of(token),
        expires_in=token.get("expires_in"),
        refresh_token=token.get("refresh_token"),
    )
    switch_session(page, session)
    return RedirectResponse(pending["next"], 303)


async def sign_in_with_token(page: Page) -> Response:
    form = await page.form()
    token = str(form.get("token") or "").strip()
    target = _local(str(form.get("next") or "/"))
    if not token or len(token) > TOKEN_LIMIT or any(c.isspace() for c in token):
        return _page(page, target, "That is not a token.", 400)
    session = page.console.sessions.sign_in(page.session, token, user=None)
    switch_session(page, session)
    return RedirectResponse(target, 303)


async def sign_out(page: Page) -> Response:
    await page.form()
    async with FhirApi(page.request.app, page.request, None) as anonymous:
        await revoke(anonymous, page.session)
    page.console.sessions.sign_out(page.session)
    switch_session(page, None)
    return RedirectResponse("/", 303)


ROUTES = (
    PageRoute("/console/sign-in", sign_in_page, public=True),
    PageRoute("/console/sign-in/start", start, public=True),
    PageRoute(CONSOLE_REDIRECT_PATH, signed_in, public=True),
    PageRoute("/console/sign-in/token", sign_in_with_token, methods=("POST",), public=True),
    PageRoute("/console/sign-out", sign_out, methods=("POST",), public=True),
)
