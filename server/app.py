"""The FastAPI application: the runtime (server.runtime) opened and closed in the lifespan,
routers, error handlers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from server.api.admission import Admission
from server.api.docs import OPENAPI_PATH, install_api_docs
from server.api.envelope import Envelope
from server.api.error_handlers import install_error_handlers
from server.api.public_urls import HostPolicy
from server.api.request_ids import AccessLog
from server.api.request_limits import RequestLimits
from server.api.routes import install_routes
from server.api.routes_health import PROBE_PATHS
from server.api.security_headers import install_cors
from server.bulk.runner import exports_running
from server.console import install_console
from server.gc_settle import settled
from server.hl7v2.listener import ingest_running
from server.hl7v2.query.config import query_config_from_env
from server.metrics.framework_telemetry import framework_telemetry
from server.metrics.http import HttpMetrics
from server.metrics.runtime import RuntimeCollector
from server.metrics.store_counts import StoreCounts
from server.runtime import open_runtime
from server.seed import seed_if_empty
from server.settings import Settings

log = logging.getLogger("fhirport")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: from the environment)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(settings, query_config=query_config_from_env()) as runtime:
            app.state.runtime = runtime
            app.state.store = runtime.store
            app.state.service = runtime.service
            app.state.search = runtime.search
            app.state.audit = runtime.audit
            if settings.seed:
                loaded = await seed_if_empty(runtime.service, settings.sandbox_dir)
                log.info(
                    "Sandbox seed: %s",
                    f"{loaded} resources loaded"
                    if loaded
                    else "not loaded, the store holds resources already",
                )
            with settled():
                async with (
                    ingest_running(runtime) as app.state.hl7,
                    exports_running(runtime.store, settings, runtime.base_urls) as app.state.bulk,
                ):
                    yield

    app = FastAPI(
        title="fhirport",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_PATH if settings.api_docs else None,
        # A redirect to the path with its slash removed answers a path no route serves
        # (an encoded "../" id became "/fhir/Patient/.."): an unknown path is a 404.
        redirect_slashes=False,
        telemetry=framework_telemetry(),
    )
    app.state.settings = settings
    app.state.metrics = registry = CollectorRegistry()
    registry.register(RuntimeCollector(lambda: getattr(app.state, "runtime", None)))
    app.state.store_counts = StoreCounts()
    registry.register(app.state.store_counts)
    app.state.hosts = hosts = HostPolicy(settings)
    limits = RequestLimits(
        max_url_length=settings.max_url_length,
        max_query_params=settings.max_query_params,
        timeout=settings.request_timeout,
    )
    app.add_middleware(Admission, hosts=hosts, limits=limits, any_host=PROBE_PATHS)
    if settings.forwarded_allow_ips:  # outside the guard: it may set the scheme
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.forwarded_allow_ips))
    install_cors(app, settings.cors_origins)
    # Outermost: every answer above, a request refused by the host guard included, gets
    # its request id, security headers, metrics and audit record (with the client
    # address the proxy headers give).
    access_log = AccessLog(enabled=settings.access_log, queries=settings.access_log_queries)
    app.add_middleware(Envelope, metrics=HttpMetrics(registry), access_log=access_log)
    install_error_handlers(app)
    if settings.api_docs:
        install_api_docs(app)
    install_routes(app)
    # After the API's routes: the console's paths (/, /console/...) take nothing of theirs.
    install_console(app, sign_in_required=settings.auth != "none")
    return app
