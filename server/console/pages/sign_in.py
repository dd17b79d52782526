"""Signing in and out of the console.

With ``--auth smart`` a visitor signs in before any page opens. A token from this
server's ``/auth/token`` (or from the external issuer it trusts) can be handed over on
the sign-in page; it is kept in the server-side session and sent as the bearer token of
every API call the console makes for that browser.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from starlette.responses import RedirectResponse, Response

from server.console.page import Page, PageRoute, switch_session

TOKEN_LIMIT: Final = 8192


def _local(target: str) -> str:
    """``target`` when it is a path on this site, else the home page (no open redirect)."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


async def sign_in_page(page: Page) -> Response:
    target = _local(page.request.query_params.get("next", "/"))
    return page.render("sign_in.html", title="Sign in", next=target, message=None)


async def sign_in_with_token(page: Page) -> Response:
    form = await page.form()
    token = str(form.get("token") or "").strip()
    target = _local(str(form.get("next") or "/"))
    if not token or len(token) > TOKEN_LIMIT or any(c.isspace() for c in token):
        return page.render(
            "sign_in.html", status=400, title="Sign in", next=target, message="That is not a token."
        )
    session = page.console.sessions.sign_in(page.session, token, user=None)
    switch_session(page, session)
    return RedirectResponse(target, 303)


async def sign_out(page: Page) -> Response:
    await page.form()
    page.console.sessions.sign_out(page.session)
    switch_session(page, None)
    return RedirectResponse("/", 303)


ROUTES = (
    PageRoute("/console/sign-in", sign_in_page, public=True),
    PageRoute("/console/sign-in/token", sign_in_with_token, methods=("POST",), public=True),
    PageRoute("/console/sign-out", sign_out, methods=("POST",), public=True),
)
