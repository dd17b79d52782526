"""FastAPI's own OpenTelemetry instrumentation: on only where OpenTelemetry is configured.

On every request FastAPI asks the global tracer, meter and logger providers whether one
is configured, looking the OpenTelemetry variables up in the environment each time.
fhirport reports through ``/metrics`` (Prometheus) and its JSON logs; a server started
with OpenTelemetry configured (any ``OTEL_*`` variable, or FastAPI's
``FASTAPI_OTEL_AUTO_CONFIGURE``) keeps FastAPI's spans and metrics as they were.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from fastapi.telemetry import TelemetryConfig


def framework_telemetry(environ: Mapping[str, str] = os.environ) -> TelemetryConfig | None:
    """FastAPI's ``telemetry`` setting: None (its defaults) where OpenTelemetry is set up."""
    if environ.get("FASTAPI_OTEL_AUTO_CONFIGURE") or any(n.startswith("OTEL_") for n in environ):
        return None
    off: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
    return off
