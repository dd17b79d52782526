"""``$meta`` (system, type, instance), ``$meta-add`` and ``$meta-delete`` (instance).

Included before the resource and search routes, which would read ``Patient/$meta`` as
the read of an id ``$meta``. ``$meta`` answers by GET or POST (it changes nothing);
``$meta-add`` and ``$meta-delete`` are writes: POST, with the update scope on the
resource (server.operations.meta says why they write a new version).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from server.api import convertors as _convertors  # noqa: F401  (registers the id segment)
from server.api.allow import serves
from server.api.dependencies import Access, AppSettings, Engine, Service, held_type
from server.api.negotiation import require_body_type, response_format
from server.api.path_ids import held_instance
from server.api.request_body import read_body
from server.api.responses import fhir_response, version_headers
from server.api.route_table import Row
from server.api.routes_operations import unknown_operation
from server.api.routes_resources import read, vread
from server.auth.access import Access as AccessRules
from server.auth.visibility import check_write, read_visible
from server.errors import NotFound, PreconditionFailed
from server.fhir.validation import parse_json_object
from server.interactions import ResourceService
from server.operations.meta import SETS, added, meta_in, meta_out, removed, summary
from server.operations.meta_summary import meta_in_use
from server.registry import HELD_TYPES, Interaction, get_type
from server.storage.port import StoredVersion

_ATTEMPTS = 5  # concurrent writers of the same resource: read again and merge again


@serves(Interaction.READ)
async def instance_meta(
    resource_type: str, resource_id: str, request: Request, service: Service, access: Access
) -> Response:
    return _meta_of(request, await read(resource_type, resource_id, request, service, access))


@serves(Interaction.VREAD)
async def version_meta(
    resource_type: str,
    resource_id: str,
    version_id: str,
    request: Request,
    service: Service,
    access: Access,
) -> Response:
    found = await vread(resource_type, resource_id, version_id, request, service, access)
    return _meta_of(request, found)


def _meta_of(request: Request, found: Response) -> Response:
    """The meta of a read's answer (its checks, access and audit are the read's)."""
    meta = orjson.loads(bytes(found.body)).get("meta", {})
    headers = {k: found.headers[k] for k in ("ETag", "Last-Modified") if k in found.headers}
    return fhir_response(meta_out(meta), response_format(request), 200, headers)


@serves(Interaction.SEARCH_TYPE)
async def type_meta(
    resource_type: str, request: Request, engine: Engine, access: Access
) -> Response:
    held_type(resource_type, Interaction.SEARCH_TYPE)
    fmt = response_format(request)
    restrictions = access.restrictions(resource_type, "s")
    return fhir_response(
        meta_out(await meta_in_use(engine.store, resource_type, restrictions)), fmt
    )


async def system_meta(request: Request, engine: Engine, access: Access) -> Response:
    fmt = response_format(request)
    access.require_any("s")
    metas = [
        await meta_in_use(engine.store, name, access.restrictions(name, "s"))
        for name in sorted(HELD_TYPES)
        if access.allows(name, "s")
    ]
    return fhir_response(meta_out(summary(metas)), fmt)


_CHANGES = {"add": added, "delete": removed}


def offered(resource_type: str, interaction: Interaction) -> bool:
    """Whether the type is held and offers the interaction an operation on it stands for."""
    held = get_type(resource_type)
    return held is not None and held.supports(interaction)


@serves(Interaction.UPDATE)
async def meta_change(
    resource_type: str,
    resource_id: str,
    change: str,
    request: Request,
    service: Service,
    settings: AppSettings,
    access: Access,
) -> Response:
    """``$meta-add`` and ``$meta-delete``: one route, ``change`` the part after ``$meta-``."""
    merge = _CHANGES.get(change)
    if merge is None:  # the pattern takes any $meta-x; the fallback would see it as this
        raise NotFound(f"This server has no operation $meta-{change}", code="not-supported")
    if not offered(resource_type, Interaction.UPDATE):
        return await unknown_operation(f"meta-{change}", request)
    given = await _meta_parameter(request, settings.max_body_bytes, resource_type, resource_id)
    return await _changed(
        request, service, access, resource_type, resource_id, lambda m: merge(m, given)
    )


async def _meta_parameter(
    request: Request, limit: int, resource_type: str, resource_id: str
) -> dict[str, Any]:
    held_instance(request, resource_type, resource_id, Interaction.UPDATE)
    require_body_type(request)
    return meta_in(parse_json_object(await read_body(request, limit)))


async def _changed(
    request: Request,
    service: ResourceService,
    access: AccessRules,
    resource_type: str,
    resource_id: str,
    change: Callable[[dict[str, Any]], dict[str, Any]],
) -> Response:
    fmt = response_format(request)
    version = await _write_meta(service, access, resource_type, resource_id, change)
    return fhir_response(meta_out(_meta(version)), fmt, 200, version_headers(version))


async def _write_meta(
    service: ResourceService,
    access: AccessRules,
    resource_type: str,
    resource_id: str,
    change: Callable[[dict[str, Any]], dict[str, Any]],
) -> StoredVersion:
    """Write the current version with its meta changed; none when the sets stay the same."""
    attempts = 0
    while True:
        current = await read_visible(access, service, resource_type, resource_id, "u")
        resource = orjson.loads(current.body or b"{}")
        meta = resource.get("meta", {})
        changed = change(meta)
        if all(changed.get(s) == meta.get(s) for s in SETS):
            return current
        resource["meta"] = changed
        check_write(access, resource_type, "u", current, resource)
        try:
            written = await service.update(
                resource_type, resource_id, resource, if_match=current.version
            )
        except PreconditionFailed:
            attempts += 1
            if attempts == _ATTEMPTS:
                raise
            continue
        return written.version


def _meta(version: StoredVersion) -> dict[str, Any]:
    meta: dict[str, Any] = orjson.loads(version.body or b"{}").get("meta", {})
    return meta


# One row per method: OpenAPI names an operation by its path and first method.
_READS = (
    ("/$meta", system_meta),
    ("/{resource_type}/$meta", type_meta),
    ("/{resource_type}/{resource_id:id}/$meta", instance_meta),
    ("/{resource_type}/{resource_id:id}/_history/{version_id}/$meta", version_meta),
)
ROUTES = (
    *(Row(path, (method,), handler) for path, handler in _READS for method in ("GET", "POST")),
    Row("/{resource_type}/{resource_id:id}/$meta-{change}", ("POST",), meta_change),
)
