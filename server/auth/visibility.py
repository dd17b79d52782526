"""The access checks routes and transaction entries make on what they read and write
(server.auth.access decides).

A resource the token may not see is answered as if it did not exist (404); a write that
would leave the token's compartment, or change a resource outside it, is a 403. A delete
marker carries no content: it is visible when the version it deleted was.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from server.auth.access import Access
from server.errors import FhirError, Forbidden, NotFound
from server.interactions import ResourceService
from server.search.matching import resource_matches
from server.storage.port import StoredVersion


def hidden(resource_type: str, resource_id: str) -> NotFound:
    return NotFound(f"{resource_type}/{resource_id} is not known", expression="id")


async def visible(
    access: Access, service: ResourceService, version: StoredVersion, letter: str
) -> bool:
    """Whether the token may see ``version`` under ``letter`` (a delete: what it deleted)."""
    if access.claims is None:
        return True
    if version.deleted and version.version > 1:
        before = await service.store.vread(version.resource_type, version.id, version.version - 1)
        return before is not None and access.permits(before, letter)
    return access.permits(version, letter)


async def read_visible(
    access: Access, service: ResourceService, resource_type: str, resource_id: str, letter: str
) -> StoredVersion:
    """The current version (service.read), 404 when it is not the token's to see."""
    if not access.restrictions(resource_type, letter):
        return await service.read(resource_type, resource_id)
    current = await service.store.read(resource_type, resource_id)
    if current is None or not await visible(access, service, current, letter):
        raise hidden(resource_type, resource_id)
    if current.deleted:  # a visible deletion: the service's 410
        return await service.read(resource_type, resource_id)
    return current


async def ensure_visible(
    access: Access, service: ResourceService, resource_type: str, resource_id: str, letter: str
) -> None:
    """404 when the token is confined and may not see the resource (nothing otherwise)."""
    if access.restrictions(resource_type, letter):
        await read_visible(access, service, resource_type, resource_id, letter)


async def hide_unseen(
    access: Access,
    service: ResourceService,
    resource_type: str,
    resource_id: str,
    letter: str,
    error: FhirError,
) -> FhirError:
    """``error`` (a 410 about the resource) or a 404 when the token may not see it."""
    if not access.restrictions(resource_type, letter):
        return error
    current = await service.store.read(resource_type, resource_id)
    if current is None or not await visible(access, service, current, letter):
        return hidden(resource_type, resource_id)
    return error


async def visible_history(
    access: Access, service: ResourceService, versions: Iterable[StoredVersion], letter: str
) -> list[StoredVersion]:
    """The versions of a history page the token may see (types not granted left out)."""
    if access.claims is None:
        return list(versions)
    return [
        v
        for v in versions
        if access.allows(v.resource_type, letter) and await visible(access, service, v, letter)
    ]


def check_write(
    access: Access,
    resource_type: str,
    letter: str,
    current: StoredVersion | None,
    new: dict[str, Any] | None,
) -> None:
    """403 unless the token may ``letter`` the type, on ``current`` and into ``new``."""
    restrictions = access.restrictions(resource_type, letter)
    if not restrictions:
        return
    if current is not None and current.body is not None and not access.permits(current, letter):
        raise Forbidden(
            f"{resource_type}/{current.id} is outside what the access token may {_verb(letter)}"
        )
    if new is not None and not resource_matches(new, restrictions, access.base_urls):
        raise Forbidden(
            f"The {resource_type} written would be outside what the access token may "
            f"{_verb(letter)} (its patient compartment or granular scope)"
        )


def refuse_conditional(access: Access, resource_type: str, letter: str) -> None:
    """403 for a conditional write under a confined grant: its match would be unchecked."""
    if access.restrictions(resource_type, letter):
        raise Forbidden(
            f"Conditional writes of {resource_type} are not available to access tokens "
            "confined to a patient compartment or granular scopes; write by id"
        )


def _verb(letter: str) -> str:
    return {"c": "create", "u": "update", "d": "delete"}.get(letter, "change")
