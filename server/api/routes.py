"""The server's route table, in matching order, and the one call that installs it.

The order is the table's: a request takes the first route whose pattern and method
match, and several patterns overlap.
"""

from __future__ import annotations

from fastapi import FastAPI

from server.api import (
    routes_auth,
    routes_bulk,
    routes_bundles,
    routes_eligibility,
    routes_everything,
    routes_front_office,
    routes_health,
    routes_hl7,
    routes_merge,
    routes_meta,
    routes_metrics,
    routes_operations,
    routes_registration,
    routes_reminders,
    routes_resources,
    routes_roi,
    routes_scheduling,
    routes_search,
    routes_system,
    routes_validate,
)
from server.api.route_table import Row, api_router, fast_routes

ROUTES: tuple[Row, ...] = (
    # First: /fhir/.well-known/... is no resource path.
    *routes_auth.ROUTES,
    *routes_health.ROUTES,
    *routes_metrics.ROUTES,
    *routes_system.ROUTES,
    *routes_bundles.ROUTES,
    # Before the resource routes: POST /fhir/{type} would take $hl7v2-*.
    *routes_hl7.ROUTES,
    # Before the resource routes: GET /fhir/Patient/$export would read an id "$export".
    *routes_bulk.ROUTES,
    # Before the resource routes: POST /fhir/Patient would take $merge.
    *routes_merge.ROUTES,
    # Before the resource and search routes: /fhir/T/id/$operation.
    *routes_roi.ROUTES,
    # Before the resource and search routes: POST /fhir/Claim/$scrub would be a create.
    *routes_front_office.ROUTES,
    # Before the resource and search routes: POST /fhir/Appointment/$find would be a create.
    *routes_scheduling.ROUTES,
    # Before the resource routes: POST /fhir/Appointment/$send-reminders would be a create.
    *routes_reminders.ROUTES,
    # Before the resource and search routes: /fhir/Patient/id/$registration-check.
    *routes_registration.ROUTES,
    # Before the resource routes (its fast row too): this POST is processed, not only stored.
    *routes_eligibility.ROUTES,
    # Before the resource and search routes: /fhir/Patient/id/$everything.
    *routes_everything.ROUTES,
    # Before the resource and search routes: /fhir/T/$meta, /fhir/T/id/$meta-add.
    *routes_meta.ROUTES,
    # Before the resource and search routes: POST /fhir/T/$validate would be a create.
    *routes_validate.ROUTES,
    # After every operation route, before the resource routes (see the module).
    *routes_operations.ROUTES,
    *routes_resources.ROUTES,
    # Last: GET /fhir/{type} must not shadow /fhir/metadata.
    *routes_search.ROUTES,
)


def install_routes(app: FastAPI) -> None:
    """The fast routes first, then every route of the table as a FastAPI route."""
    app.router.routes.extend(fast_routes(ROUTES))
    app.include_router(api_router(ROUTES))
