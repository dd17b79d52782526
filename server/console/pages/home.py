"""Home: the server's status, what the store holds, HL7v2 traffic, recent activity."""

from __future__ import annotations

from starlette.responses import Response

from server.console.page import NavItem, Page, PageRoute


async def home(page: Page) -> Response:
    ready = await page.api.get("/readyz")
    status = ready.body if isinstance(ready.body, dict) else {"status": "fail", "checks": {}}
    return page.render("home.html", title="Home", ready=status)


ROUTES = (PageRoute("/", home),)
NAV = (NavItem("Home", "/", order=0),)
