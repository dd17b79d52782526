"""The interactive API docs (``--api-docs``): Swagger UI served from this server alone.

FastAPI's default page loads Swagger UI from a public CDN: blank on a hospital network
without internet, and third-party code running next to patient data. The files come
from the ``fastapi-offline`` package instead (Swagger UI 5, Apache-2.0).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

DOCS_PATH = "/docs"
OPENAPI_PATH = "/openapi.json"
_ASSETS_PATH = "/docs/assets"


def install_api_docs(app: FastAPI) -> None:
    """Serve Swagger UI at /docs for the schema at /openapi.json."""
    assets = Path(str(files("fastapi_offline") / "static"))
    app.mount(_ASSETS_PATH, StaticFiles(directory=assets), name="api-docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_PATH,
            title=f"{app.title} - API docs",
            swagger_js_url=f"{_ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{_ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{_ASSETS_PATH}/favicon.png",
            oauth2_redirect_url=None,
            # Swagger UI would otherwise send the schema to its public validator.
            swagger_ui_parameters={"validatorUrl": None},
        )
