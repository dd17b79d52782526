"""Signing in to the console with the built-in authorization server: the authorization
code flow with PKCE, the console being the public client ``fhirport-console``."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from server.console.sessions import COOKIE
from tests.auth.launch.flow import Browser, LaunchApp, launch_app
from tests.console.signing import csrf_of

pytestmark = pytest.mark.anyio


@pytest.fixture
async def served(store_url: str, tmp_path: Path) -> AsyncIterator[LaunchApp]:
    async with launch_app(store_url, tmp_path, audit="all") as served:
        yield served


async def follow(browser: Browser, response: httpx.Response) -> httpx.Response:
    """Follow every redirect within the server, as a browser would."""
    while response.status_code in (302, 303) and response.headers["location"].startswith(
        ("/", "http://testserver/")
    ):
        response = await browser.http.get(response.headers["location"])
    return response


async def signed_in(browser: Browser, username: str) -> None:
    start = await browser.http.get("/console/sign-in/start", params={"next": "/console/browse"})
    assert start.status_code == 303
    authorize = start.headers["location"]
    asked = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    assert asked["client_id"] == "fhirport-console"
    assert asked["code_challenge_method"] == "S256"
    assert asked["redirect_uri"] == "http://testserver/signed-in"
    sign_in_page = await follow(browser, start)
    done = await follow(browser, await browser.sign_in(sign_in_page, username))
    assert done.status_code == 200, done.text


async def test_a_practitioner_signs_in_and_reads_with_user_scopes(served: LaunchApp) -> None:
    async with served.browser() as browser:
        first = await follow(browser, await browser.http.get("/"))
        assert "/console/sign-in/start" in first.text  # the way in
        await signed_in(browser, "drho")
        home = await browser.get("/")
        assert home.status_code == 200
        assert "drho" in home.text
        assert "Practitioner/p1" in home.text
        page = await browser.get("/console/Patient/pat2")
        assert page.status_code == 200
        assert "Smithers" in page.text


async def test_a_patient_user_sees_only_their_own_record(served: LaunchApp) -> None:
    async with served.browser() as browser:
        await signed_in(browser, "pat")
        assert (await browser.get("/console/Patient/pat1")).status_code == 200
        other = await browser.get("/console/Patient/pat2")
        assert other.status_code in (403, 404)
        assert "Smithers" not in other.text


async def test_a_callback_with_a_state_the_session_did_not_start_is_refused(
    served: LaunchApp,
) -> None:
    async with served.browser() as browser:
        answer = await browser.get("/signed-in", params={"code": "x", "state": "forged"})
        assert answer.status_code == 400
        assert (await browser.get("/")).status_code == 303  # still signed out


async def test_an_expired_access_token_is_refreshed(served: LaunchApp) -> None:
    async with served.browser() as browser:
        await signed_in(browser, "drho")
        sessions = served.app.state.console.sessions
        session = sessions.get(browser.http.cookies[COOKIE])
        old = session.token
        session.token_expires = time.monotonic() - 1
        page = await browser.get("/console/Patient/pat1")
        assert page.status_code == 200
        assert session.token != old


async def test_signing_out_revokes_the_refresh_token(served: LaunchApp) -> None:
    async with served.browser() as browser:
        await signed_in(browser, "drho")
        session = served.app.state.console.sessions.get(browser.http.cookies[COOKIE])
        refresh = session.refresh_token
        home = await browser.get("/")
        out = await browser.http.post("/console/sign-out", data={"csrf_token": csrf_of(home.text)})
        assert out.status_code == 303
        again = await served.http.post(
            "/auth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh,
                "client_id": "fhirport-console",
            },
        )
        assert again.status_code == 400


async def test_signing_out_revokes_the_access_token_too(served: LaunchApp) -> None:
    async with served.browser() as browser:
        await signed_in(browser, "drho")
        access = served.app.state.console.sessions.get(browser.http.cookies[COOKIE]).token
        bearer = {"Authorization": f"Bearer {access}"}
        assert (await served.http.get("/fhir/Patient/pat1", headers=bearer)).status_code == 200
        home = await browser.get("/")
        out = await browser.http.post("/console/sign-out", data={"csrf_token": csrf_of(home.text)})
        assert out.status_code == 303

        # The process that revoked it refuses it at once (others within REFRESH_INTERVAL).
        refused = await served.http.get("/fhir/Patient/pat1", headers=bearer)

    assert refused.status_code == 401, refused.text


async def test_launch_app_from_a_patients_page_resolves_to_that_patient(
    served: LaunchApp,
) -> None:
    async with served.browser() as browser:
        await signed_in(browser, "drho")
        page = await browser.get("/console/Patient/pat2")
        assert "Launch growth-chart" in page.text
        answer = await browser.http.post(
            "/console/Patient/pat2/launch",
            data={"csrf_token": csrf_of(page.text), "client_id": served.client_id},
        )
        assert answer.status_code == 303
        location = urlsplit(answer.headers["location"])
        assert (
            f"{location.scheme}://{location.netloc}{location.path}" == "https://app.example/launch"
        )
        asked = {k: v[0] for k, v in parse_qs(location.query).items()}
        assert asked["iss"] == "http://testserver/fhir"
        context = await served.runtime.token_service.launches.resolve(asked["launch"])
        assert context is not None
        assert context.patient == "pat2"


async def test_launch_names_only_a_registered_app(served: LaunchApp) -> None:
    async with served.browser() as browser:
        await signed_in(browser, "drho")
        page = await browser.get("/console/Patient/pat2")
        answer = await browser.http.post(
            "/console/Patient/pat2/launch",
            data={"csrf_token": csrf_of(page.text), "client_id": "not-an-app"},
        )
        assert answer.status_code == 404
