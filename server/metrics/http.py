"""HTTP request metrics: a count by interaction, type and status, and a latency histogram.

Tallied in plain dictionaries on the event loop and turned into Prometheus samples when
``/metrics`` is scraped: prometheus_client's own counters take a lock per increment and
walk the histogram's buckets one by one, on every request.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from typing import Final

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import Scope

from server.registry import HELD_TYPES

_FHIR: Final = "/fhir/"
# Reads answer in about a millisecond, large searches and bundles in seconds.
_BUCKETS: Final = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_BOUNDS: Final = (*(repr(bound) for bound in _BUCKETS), "+Inf")


class _Latencies:
    """One series' requests by bucket (the last: above every bound) and their total time."""

    __slots__ = ("by_bucket", "total")

    def __init__(self) -> None:
        self.by_bucket = [0] * (len(_BUCKETS) + 1)
        self.total = 0.0


class HttpMetrics(Collector):
    """The request counter and latency histogram, registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._requests: dict[tuple[str, str, int], int] = {}
        self._latencies: dict[tuple[str, str], _Latencies] = {}
        registry.register(self)

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        interaction, resource_type = interaction_of(scope)
        key = (interaction, resource_type, status)
        self._requests[key] = self._requests.get(key, 0) + 1
        latencies = self._latencies.get(key[:2])
        if latencies is None:
            latencies = self._latencies[key[:2]] = _Latencies()
        latencies.by_bucket[bisect_left(_BUCKETS, seconds)] += 1
        latencies.total += seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "fhirport_http_requests",
            "HTTP requests answered, by interaction (the route's name), type and status.",
            labels=("interaction", "type", "status"),
        )
        # Copies: the event loop may add a series while another thread scrapes.
        for (interaction, resource_type, status), count in list(self._requests.items()):
            requests.add_metric((interaction, resource_type, str(status)), count)
        yield requests
        duration = HistogramMetricFamily(
            "fhirport_http_request_duration_seconds",
            "Time from the request's arrival to the end of its answer.",
            labels=("interaction", "type"),
        )
        for labels, latencies in list(self._latencies.items()):
            total, by_bucket = latencies.total, list(latencies.by_bucket)
            cumulative, buckets = 0, []
            for bound, count in zip(_BOUNDS, by_bucket, strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            duration.add_metric(labels, buckets, total)
        yield duration


def interaction_of(scope: Scope) -> tuple[str, str]:
    """(the route's name, the held type it is about or ""): "unrouted" when none matched."""
    endpoint = scope.get("endpoint")
    name = getattr(endpoint, "__name__", None)
    interaction = name.replace("_", "-") if isinstance(name, str) else "unrouted"
    candidate = (scope.get("path_params") or {}).get("resource_type")
    if candidate is None and scope["path"].startswith(_FHIR):
        candidate = scope["path"][len(_FHIR) :].split("/", 1)[0]
    return interaction, candidate if candidate in HELD_TYPES else ""
