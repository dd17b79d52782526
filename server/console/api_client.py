"""The console's only way to fhirport: the FHIR API, called in-process as the signed-in user.

Every call is an HTTP request sent over ASGI onto the same app, so it passes the whole
middleware stack (host guard, request ids, metrics, audit) and the route's access checks
with the user's bearer token: a page can do nothing the user could not do with curl,
and every page that shows patient data is audited like any other read. Nothing in the
console imports the store or the services.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

import httpx
import orjson
from starlette.requests import Request
from starlette.types import ASGIApp

from server.console.views.fhir_text import issues_of

FHIR_JSON: Final = "application/fhir+json"
USER_AGENT: Final = "fhirport-console"

# Query parameters, or a query string already encoded (a Bundle's paging link's).
Params = Mapping[str, str] | Sequence[tuple[str, str]] | str


class ApiRefused(Exception):
    """A call the API answered with an error; the page shows it with the same status."""

    def __init__(self, answer: ApiAnswer) -> None:
        super().__init__(answer.status)
        self.answer = answer


@dataclass(frozen=True, slots=True)
class ApiAnswer:
    """One API response: its status, headers and JSON body (None when it had none)."""

    status: int
    headers: httpx.Headers
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body of a successful answer; ApiRefused otherwise."""
        if not self.ok:
            raise ApiRefused(self)
        return self.body

    @property
    def problems(self) -> list[str]:
        """What an OperationOutcome body says, one line per issue."""
        return [
            f"{issue.diagnostics} ({issue.expression})" if issue.expression else issue.diagnostics
            for issue in issues_of(self.body)
        ]


class FhirApi:
    """The FHIR API as one user: ``token`` None calls it without credentials (--auth none)."""

    def __init__(self, app: ASGIApp, request: Request, token: str | None) -> None:
        headers = {"User-Agent": USER_AGENT, "Accept": FHIR_JSON}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        client = request.client
        transport = httpx.ASGITransport(
            app=app,
            # An unexpected error is the API's 500, shown like any other answer.
            raise_app_exceptions=False,
            # The audit record names the browser's address, not the console's.
            client=(client.host, client.port) if client else ("127.0.0.1", 0),
            root_path=request.scope.get("root_path", ""),
        )
        # The browser's own Host: the API's links (fullUrl, paging) are the ones it would
        # give the user, and the host guard admits what it admitted for the page.
        base = f"{request.url.scheme}://{request.headers.get('host', 'localhost')}"
        self._http = httpx.AsyncClient(
            transport=transport, base_url=base, headers=headers, trust_env=False
        )

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> FhirApi:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ApiAnswer:
        """Send one request to ``path`` (``/fhir/...``, ``/readyz``) and read its answer:
        ``json`` as FHIR JSON, or ``content`` as is (with its Content-Type in ``headers``)."""
        sent = dict(headers or {})
        if json is not None:
            content = orjson.dumps(json)
            sent.setdefault("Content-Type", FHIR_JSON)
        if params:
            path = f"{path}?{params if isinstance(params, str) else urlencode(params)}"
        response = await self._http.request(method, path, content=content, headers=sent)
        body: Any = None
        if response.content:
            try:
                body = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                body = response.text
        return ApiAnswer(response.status_code, response.headers, body)

    async def get(self, path: str, params: Params | None = None) -> ApiAnswer:
        return await self.call("GET", path, params=params)

    async def read(self, type_name: str, resource_id: str) -> ApiAnswer:
        return await self.get(f"/fhir/{type_name}/{resource_id}")

    async def search(self, type_name: str, params: Params | None = None) -> ApiAnswer:
        return await self.get(f"/fhir/{type_name}", params)
