"""``GET /metrics``: Prometheus text, off the FHIR path, no patient data.

Open by default, as a scrape target usually is; with ``--metrics-token`` (or
``FHIRPORT_METRICS_TOKEN``) a scraper must send it as a bearer token.
"""

from __future__ import annotations

import hmac

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from server.api.route_table import Row


async def metrics(request: Request) -> Response:
    expected = request.app.state.settings.metrics_token
    if expected is not None:
        sent = request.headers.get("authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {expected}".encode()):
            return Response(
                "A bearer token is needed to read the metrics\n",
                401,
                {"WWW-Authenticate": 'Bearer realm="fhirport metrics"'},
                media_type="text/plain",
            )
    state = request.app.state
    await state.store_counts.refresh(getattr(state, "runtime", None), getattr(state, "bulk", None))
    body = generate_latest(state.metrics)
    return Response(body, 200, media_type=CONTENT_TYPE_LATEST)


ROUTES = (Row("/metrics", ("GET",), metrics, documented=False, prefix=""),)
