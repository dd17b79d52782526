"""/docs and /openapi.json: off unless asked for, and then served with nothing from elsewhere."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from server.settings import Settings

pytestmark = pytest.mark.anyio

# src="..." and href="..." in the page, and url: '...' in its inline script.
_REFERENCES = re.compile(r"""(?:src|href)="([^"]*)"|url:\s*'([^']*)'""")


@pytest.fixture
async def docs_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    from server.app import create_app

    app = create_app(settings.model_copy(update={"api_docs": True}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.mark.parametrize("path", ["/docs", "/openapi.json", "/docs/oauth2-redirect", "/redoc"])
async def test_api_docs_are_off_by_default(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_docs_page_loads_everything_from_this_server(
    docs_client: httpx.AsyncClient,
) -> None:
    page = await docs_client.get("/docs")

    assert page.status_code == 200
    references = [a or b for a, b in _REFERENCES.findall(page.text)]
    assert references, page.text
    assert not re.search(r"(?i)\b(?:https?:)?//", page.text), page.text
    for reference in references:
        assert reference.startswith("/"), reference
        asset = await docs_client.get(reference)
        assert asset.status_code == 200, reference
        assert asset.content, reference


async def test_openapi_schema_is_served_when_docs_are_on(docs_client: httpx.AsyncClient) -> None:
    response = await docs_client.get("/openapi.json")

    assert response.status_code == 200
    assert response.json()["info"]["title"] == "fhirport"
