"""Adds the console to the app: its page routes, its static files, its shared state."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from server.console import pages
from server.console.page import Console, Page, PageRoute, as_endpoint
from server.console.sessions import SessionStore
from server.console.templates import build_environment

STATIC_PATH: Final = "/console/static"
STATIC_DIR: Final = Path(__file__).parent / "static"


def install_console(app: Starlette, *, sign_in_required: bool) -> None:
    """Serve the console's pages and files from ``app`` (after the API's routes)."""
    app.state.console = Console(
        templates=build_environment(),
        sessions=SessionStore(),
        nav=tuple(sorted(pages.nav(), key=lambda item: item.order)),
        sign_in_required=sign_in_required,
    )
    for route in pages.routes():
        app.router.routes.append(Route(route.path, as_endpoint(route), methods=list(route.methods)))
    app.router.routes.append(
        Mount(STATIC_PATH, app=StaticFiles(directory=STATIC_DIR), name="console-static")
    )
    # Last: a console path no page serves is the console's own 404 page, not the API's.
    unknown = PageRoute("/console/{rest:path}", _unknown_page, public=True)
    app.router.routes.append(Route(unknown.path, as_endpoint(unknown), methods=["GET"]))


async def _unknown_page(page: Page) -> Response:
    return page.not_found(f"The console has no page at {page.request.url.path}")
