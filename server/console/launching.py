"""EHR launch from a patient's page: "Launch" opens a registered SMART app with a
``launch`` id that resolves to that patient (SMART App Launch, EHR launch).

The launch id is minted by ``POST /auth/launch`` as the signed-in user, so only a user
who may read the patient can launch an app on them. Which apps can be launched is the
authorization server's list of clients registered with a launch URL (no patient data).
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from server.api.public_urls import public_base
from server.auth.launch_contexts import LaunchableApp, launch_href
from server.console.api_client import ApiRefused
from server.console.oauth_client import FORM
from server.console.page import Page


async def launchable_apps(request: Request) -> list[LaunchableApp]:
    """The apps registered with a launch URL."""
    apps: list[LaunchableApp] = await request.app.state.runtime.token_service.launches.apps()
    return apps


async def launch(page: Page) -> Response:
    """Mint a launch id for the page's patient and send the browser to the chosen app."""
    form = await page.form()
    patient_id = page.request.path_params["id"]
    chosen = str(form.get("client_id") or "")
    app = next((a for a in await launchable_apps(page.request) if a.client_id == chosen), None)
    if app is None:
        return page.not_found(f"No app {chosen!r} is registered with a launch URL")
    minted = await page.api.call(
        "POST", "/auth/launch", content=urlencode({"patient": patient_id}), headers=FORM
    )
    if not minted.ok or not isinstance(minted.body, dict) or "launch" not in minted.body:
        raise ApiRefused(minted)
    target = launch_href(
        app.launch_url, iss=public_base(page.request), launch=minted.body["launch"]
    )
    return RedirectResponse(target, 303)
