"""``DELETE /fhir/T/id?_cascade=delete``: the resource and every resource referring to it.

Without ``_cascade``, a delete of a resource that current resources refer to is a 409
naming them (server.integrity); with it, they are deleted too, in the same store write,
and the answer is an OperationOutcome saying which. Each referrer is checked against
the token like a delete of its own.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from server.api.negotiation import response_format
from server.api.responses import fhir_response
from server.audit.draft import audit_touched
from server.auth.access import Access
from server.auth.visibility import check_write
from server.errors import InvalidRequest, Issue, operation_outcome
from server.interactions import ResourceService
from server.storage.port import StoredVersion


async def cascade_delete(
    request: Request,
    service: ResourceService,
    access: Access,
    resource_type: str,
    resource_id: str,
    mode: str,
) -> Response:
    """Delete with ``_cascade=delete``; any other value of ``_cascade`` is a 400."""
    if mode != "delete":
        raise InvalidRequest(
            f"_cascade={mode!r} is not supported; the one mode is _cascade=delete",
            expression="_cascade",
        )
    fmt = response_format(request)

    def check(referrer: StoredVersion) -> None:
        check_write(access, referrer.resource_type, "d", referrer, None)
        audit_touched((f"{referrer.resource_type}/{referrer.id}",))

    marker, others = await service.delete_cascade(resource_type, resource_id, check=check)
    if marker is None:
        return Response(status_code=204)
    deleted = ", ".join(f"{v.resource_type}/{v.id}" for v in others) or "nothing else"
    message = f"Deleted {resource_type}/{resource_id} and, referring to it, {deleted}"
    issues = [Issue(message, "informational", "information")]
    headers = {"ETag": f'W/"{marker.version}"'}
    return fhir_response(operation_outcome(issues), fmt, 200, headers)
