"""What a console page handler gets and gives: ``Page`` in, an HTML ``Response`` out.

A page module lists its ``ROUTES`` (``PageRoute``: a path, an ``async def handler(page)``,
its methods) and its ``NAV`` entries; ``server/console/pages/__init__.py`` lists the
modules. ``as_endpoint`` wraps a handler: it finds or starts the browser's session,
sends a visitor who must sign in to the sign-in page, checks the CSRF token of every
POST, gives the handler a ``FhirApi`` carrying the user's token, and turns an API
refusal into an error page with the API's own status.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from jinja2 import Environment
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from server.console.api_client import ApiAnswer, ApiRefused, FhirApi
from server.console.oauth_client import due, refresh
from server.console.sessions import COOKIE, Session, SessionStore

SIGN_IN_PATH: Final = "/console/sign-in"
CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "X-CSRF-Token"
# Pages hold patient data: no cache keeps them, no other site frames them, and nothing
# runs but the console's own files.
PAGE_HEADERS: Final = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True, slots=True)
class NavItem:
    """A link in the layout's navigation, ordered by ``order``."""

    label: str
    href: str
    order: int = 100


@dataclass(frozen=True, slots=True)
class Console:
    """What every page shares, built once per app (``request.app.state.console``)."""

    templates: Environment
    sessions: SessionStore
    nav: tuple[NavItem, ...]
    sign_in_required: bool  # --auth smart: every page but sign-in needs a signed-in user


class CsrfRefused(Exception):
    """A form post without this session's CSRF token."""


class Page:
    """One page request: the request, the session, the API as the user, and rendering."""

    def __init__(self, request: Request, console: Console, session: Session, api: FhirApi) -> None:
        self.request = request
        self.console = console
        self.session = session
        self.api = api

    @property
    def htmx(self) -> bool:
        """True when htmx asked for a fragment (``HX-Request``) rather than a whole page."""
        return self.request.headers.get("HX-Request") == "true"

    async def form(self) -> FormData:
        """The posted form, once its CSRF token is checked (CsrfRefused if it is wrong)."""
        form = await self.request.form()
        sent = form.get(CSRF_FIELD) or self.request.headers.get(CSRF_HEADER) or ""
        if not isinstance(sent, str) or not secrets.compare_digest(sent, self.session.csrf):
            raise CsrfRefused
        return form

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        """``template`` rendered with ``context`` and what the layout needs."""
        html = self.console.templates.get_template(template).render(
            nav=self.console.nav,
            path=self.request.url.path,
            csrf_token=self.session.csrf,
            user=self.session.user,
            signed_in=self.session.signed_in,
            sign_in_required=self.console.sign_in_required,
            **context,
        )
        return HTMLResponse(html, status, headers=PAGE_HEADERS)

    def refused(self, answer: ApiAnswer) -> HTMLResponse:
        """The error page for an API answer that was not a success, with its status."""
        return self.render(
            "error_fragment.html" if self.htmx else "error.html",
            status=answer.status,
            title=f"The API answered {answer.status}",
            status_code=answer.status,
            problems=answer.problems or [str(answer.body or "")],
        )

    def not_found(self, problem: str) -> HTMLResponse:
        """A 404 page of the console's own (a path no page serves, a type not held)."""
        return self.render(
            "error.html", status=404, title="Not found", status_code=404, problems=[problem]
        )


PageHandler = Callable[[Page], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class PageRoute:
    """A console path and its handler; ``public`` pages open without sign-in."""

    path: str
    handler: PageHandler
    methods: tuple[str, ...] = ("GET",)
    public: bool = False


def as_endpoint(route: PageRoute) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint that runs ``route.handler`` as described in the module."""

    async def endpoint(request: Request) -> Response:
        console: Console = request.app.state.console
        session = console.sessions.get(request.cookies.get(COOKIE))
        fresh = session is None
        if session is None:
            session = console.sessions.new()
        if due(session):
            async with FhirApi(request.app, request, None) as anonymous:
                await refresh(anonymous, session)
        if console.sign_in_required and not route.public and not session.signed_in:
            response: Response = _to_sign_in(request)
        else:
            response = await _run(route.handler, request, console, session)
        # The handler may have signed in or out: the cookie follows the session it leaves.
        current: Session | None = getattr(request.state, "console_session", session)
        if current is None:
            response.delete_cookie(COOKIE, path="/")
        elif fresh or current is not session:
            _set_cookie(response, request, current)
        return response

    return endpoint


async def _run(
    handler: PageHandler, request: Request, console: Console, session: Session
) -> Response:
    api = FhirApi(request.app, request, session.token)
    page = Page(request, console, session, api)
    try:
        return await handler(page)
    except ApiRefused as refused:
        if refused.answer.status == 401 and console.sign_in_required:
            return _to_sign_in(request)
        return page.refused(refused.answer)
    except CsrfRefused:
        return page.render(
            "error.html",
            status=403,
            title="This form has expired",
            status_code=403,
            problems=["The form was not sent from this session; reload the page and try again."],
        )
    finally:
        await api.close()


def _to_sign_in(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{SIGN_IN_PATH}?next={quote(target, safe='')}", 303)


def _set_cookie(response: Response, request: Request, session: Session) -> None:
    response.set_cookie(
        COOKIE,
        session.id,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def switch_session(page: Page, session: Session | None) -> None:
    """Make ``session`` the browser's from this response on (None: no session)."""
    page.request.state.console_session = session
