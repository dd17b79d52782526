"""``POST /fhir``: a transaction or batch Bundle (http.html#transaction), answered with its
transaction-response or batch-response (server.transactions does the work)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.api.dependencies import Access, AppSettings, Engine, Service
from server.api.negotiation import require_body_type, response_format
from server.api.prefer import return_preference
from server.api.public_urls import public_base
from server.api.request_body import read_body
from server.api.responses import fhir_response
from server.api.route_table import Row
from server.audit.draft import audit_interaction
from server.fhir.strict_parse import parse_json
from server.transactions import apply_bundle


async def transaction_or_batch(
    request: Request, service: Service, settings: AppSettings, engine: Engine, access: Access
) -> Response:
    fmt = response_format(request)  # a 406 before anything is written
    require_body_type(request)
    document = parse_json(await read_body(request, settings.max_body_bytes))
    if isinstance(document, dict) and document.get("type") == "transaction":
        audit_interaction("transaction")  # the path says batch; the body says which
    result = await apply_bundle(
        service,
        document,
        access,
        base=public_base(request),
        search=engine,
        max_entries=settings.max_bundle_entries,
        prefer=return_preference(request).value,
    )
    return fhir_response(result.bundle, fmt)


ROUTES = (Row("", ("POST",), transaction_or_batch),)
