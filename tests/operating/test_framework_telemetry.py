"""FastAPI's per-request OpenTelemetry probing: off unless OpenTelemetry is configured."""

from __future__ import annotations

from pathlib import Path

from server.app import create_app
from server.metrics.framework_telemetry import framework_telemetry
from server.settings import Settings


def test_off_without_opentelemetry_and_fastapis_own_with_it() -> None:
    assert framework_telemetry({"PATH": "/usr/bin"}) == {
        "tracing": False,
        "metrics": False,
        "logs": False,
    }
    assert framework_telemetry({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"}) is None
    assert framework_telemetry({"FASTAPI_OTEL_AUTO_CONFIGURE": "true"}) is None


def test_the_app_does_not_ask_the_providers_on_each_request(tmp_path: Path) -> None:
    app = create_app(Settings(store=f"sqlite:///{tmp_path / 's.sqlite3'}", auth="none"))

    # FastAPI's per-request check asks the providers only when tracing, metrics or logs
    # are on; with all three off it answers at once.
    telemetry = app._telemetry
    assert (telemetry["tracing"], telemetry["metrics"], telemetry["logs"]) == (False,) * 3
