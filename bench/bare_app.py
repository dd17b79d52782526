"""The ceiling to measure against: a bare FastAPI endpoint returning fixed bytes."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response

BODY = (
    Path(os.environ.get("BARE_BODY_FILE", "")).read_bytes()
    if os.environ.get("BARE_BODY_FILE")
    else b"{}"
)

app = FastAPI()


@app.get("/fhir/Patient/{resource_id}")
async def read(resource_id: str) -> Response:
    return Response(
        BODY,
        headers={"ETag": 'W/"1"', "Last-Modified": "Wed, 25 Nov 2026 07:00:00 GMT"},
        media_type="application/fhir+json; charset=utf-8",
    )
