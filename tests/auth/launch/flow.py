"""A SMART app (Authlib's OAuth 2.0 client) and a browser driving the sign-in pages, in-process.

``launch_app(tmp_path)`` serves an app with access control on, holding a Practitioner
user, a Patient user, two patients and a registered public app; ``Browser`` follows the
authorization server's pages as a person would (reading each form's CSRF token from the
page it was served on) and hands back where the server finally redirected.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from fastapi import FastAPI

from server.auth.clients import register_client
from server.auth.users import add_user
from server.runtime import Runtime
from server.settings import Settings
from server.storage.factory import open_auth_records
from tests.auth.smart_app import ADMIN, bearer, patient, put_all
from tests.auth.tokens import auth_settings

with warnings.catch_warnings():
    # Authlib warns that it would rather have httpx2 (not installed) than httpx; its own
    # module puts an "always" filter first, so this one goes in after that import.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

ROOT = "http://testserver"
FHIR_BASE = ROOT + "/fhir"
AUTHORIZE_URL = ROOT + "/auth/authorize"
TOKEN_URL = ROOT + "/auth/token"
REDIRECT_URI = "https://app.example/callback"
PASSWORD = "correct horse battery"
APP_SCOPE = (
    "launch launch/patient openid fhirUser offline_access online_access patient/*.rs user/*.rs"
)
__all__ = ["ADMIN", "AsyncOAuth2Client", "bearer"]


@dataclass
class LaunchApp:
    """The served app and what the tests registered on it."""

    app: FastAPI
    http: httpx.AsyncClient  # an API client without cookies (send tokens yourself)
    client_id: str  # the public SMART app

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=self.app)

    def browser(self) -> Browser:
        return Browser(httpx.AsyncClient(transport=self.transport(), base_url=ROOT))

    def oauth(self, client_id: str | None = None, **kwargs: Any) -> AsyncOAuth2Client:
        """The app's OAuth 2.0 client (public unless given a secret), talking to the server."""
        kwargs.setdefault("token_endpoint_auth_method", "none")
        return AsyncOAuth2Client(
            client_id=client_id or self.client_id,
            redirect_uri=kwargs.pop("redirect_uri", REDIRECT_URI),
            code_challenge_method="S256",
            transport=self.transport(),
            **kwargs,
        )


def _settings(store_url: str, tmp_path: Path, audit: str) -> Settings:
    return Settings(
        store=store_url,
        seed=False,
        host="127.0.0.1",
        port=8080,
        allowed_hosts=("testserver",),
        auth="smart",
        audit=audit,  # type: ignore[arg-type]
        **auth_settings(tmp_path),  # type: ignore[arg-type]
    )


@asynccontextmanager
async def launch_app(
    store_url: str, tmp_path: Path, *, audit: str = "off"
) -> AsyncIterator[LaunchApp]:
    """The app with users ``drho`` (Practitioner/p1) and ``pat`` (Patient/pat1), patients
    ``pat1`` (Smith) and ``pat2`` (Smithers) and ``pat3`` (Jones), and a public app."""
    from server.app import create_app

    app = create_app(_settings(store_url, tmp_path, audit))
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url=ROOT) as http,
    ):
        await put_all(
            http,
            [
                {"resourceType": "Practitioner", "id": "p1", "name": [{"family": "Rho"}]},
                patient("pat1", "Smith"),
                patient("pat2", "Smithers"),
                patient("pat3", "Jones"),
            ],
        )
        runtime: Runtime = app.state.runtime
        records = await open_auth_records(runtime.store)
        await add_user(records, "drho", "Practitioner/p1", PASSWORD)
        await add_user(records, "pat", "Patient/pat1", PASSWORD)
        client, _ = await register_client(
            records,
            "growth-chart",
            APP_SCOPE,
            redirect_uris=[REDIRECT_URI],
            public=True,
            launch_url="https://app.example/launch",
        )
        yield LaunchApp(app, http, client.client_id)


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def query_of(location: str) -> dict[str, str]:
    """The query parameters of a redirect's Location, one value each."""
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


@dataclass
class Browser:
    """A person's browser: it keeps cookies and follows the server's redirects by hand."""

    http: httpx.AsyncClient

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(url, **kwargs)

    async def follow(self, response: httpx.Response) -> httpx.Response:
        """Follow redirects between the authorization pages; stop at a page or a redirect away."""
        while response.status_code in (302, 303) and _here(response.headers["location"]):
            response = await self.http.get(response.headers["location"])
        return response

    async def open(self, url: str) -> httpx.Response:
        return await self.follow(await self.http.get(url))

    async def submit(
        self, page: httpx.Response, action: str, fields: dict[str, str]
    ) -> httpx.Response:
        """Post a form of ``page`` (its CSRF token added) and follow where it leads."""
        data = {"csrf_token": csrf_of(page), **fields}
        return await self.follow(await self.http.post(action, data=data))

    async def sign_in(
        self, page: httpx.Response, username: str, password: str = PASSWORD
    ) -> httpx.Response:
        return await self.submit(
            page, "/auth/sign-in", {"username": username, "password": password}
        )

    async def pick(self, page: httpx.Response, patient_id: str) -> httpx.Response:
        return await self.submit(page, "/auth/pick-patient", {"patient": patient_id})

    async def approve(self, page: httpx.Response, decision: str = "allow") -> httpx.Response:
        return await self.submit(page, "/auth/approve", {"decision": decision})


def _here(location: str) -> bool:
    """Whether a redirect goes to another of the authorization server's pages."""
    return location.startswith(("/auth/", ROOT + "/auth/"))


def redirected_to(response: httpx.Response) -> str:
    """Where the server sent the browser off-server (the app's redirect URI)."""
    assert response.status_code == 303, (response.status_code, response.text)
    location: str = response.headers["location"]
    return location
