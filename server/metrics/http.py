"""HTTP request metrics: a count by interaction, type and status, and a latency histogram."""

from __future__ import annotations

import time
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.registry import HELD_TYPES

_FHIR: Final = "/fhir/"
# Reads answer in about a millisecond, large searches and bundles in seconds.
_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics:
    """The request counter and latency histogram, on one registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "fhirport_http_requests",
            "HTTP requests answered, by interaction (the route's name), type and status.",
            ("interaction", "type", "status"),
            registry=registry,
        )
        self.duration = Histogram(
            "fhirport_http_request_duration_seconds",
            "Time from the request's arrival to the end of its answer.",
            ("interaction", "type"),
            buckets=_BUCKETS,
            registry=registry,
        )
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        interaction, resource_type = interaction_of(scope)
        key = (interaction, resource_type, status)
        series = self._series.get(key)
        if series is None:
            # A handful of routes, types and statuses: their series are looked up once.
            series = self._series[key] = (
                self.requests.labels(interaction, resource_type, str(status)),
                self.duration.labels(interaction, resource_type),
            )
        series[0].inc()
        series[1].observe(seconds)


def interaction_of(scope: Scope) -> tuple[str, str]:
    """(the route's name, the held type it is about or ""): "unrouted" when none matched."""
    endpoint = scope.get("endpoint")
    name = getattr(endpoint, "__name__", None)
    interaction = name.replace("_", "-") if isinstance(name, str) else "unrouted"
    candidate = (scope.get("path_params") or {}).get("resource_type")
    if candidate is None and scope["path"].startswith(_FHIR):
        candidate = scope["path"][len(_FHIR) :].split("/", 1)[0]
    return interaction, candidate if candidate in HELD_TYPES else ""


class MetricsMiddleware:
    """ASGI middleware: observe every HTTP request's route, status and duration."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, observed)
        finally:
            self.metrics.observe(scope, status, time.perf_counter() - started)
