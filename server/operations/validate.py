"""``$validate`` (resource-operations.html#validate): the checks a write would run, nothing written.

The input is the resource itself or a Parameters with ``resource`` and ``mode`` (``mode``
may also be a URL parameter). Modes: none (the content alone), ``create``, ``update``
and ``delete``; the last two only on an instance. The checks are the write's, in its
order: the structure and required bindings (server.fhir.validation), then the type's
write rule (release of information's Task status machine) against the current version,
then its hold rule's plan (server.hold_rules.HoldRule: an Appointment that overlaps a
booking of one of its participants, or takes a busy Slot, is the write's 409; a Claim
the scrub refuses under ``--scrub-on-create error`` its 422), then referential
integrity, or for ``delete`` the resources that refer to it. Every
rule and integrity issue is reported, not only the first; a malformed resource is
reported alone (the later checks read its content).

The answer is an OperationOutcome: 200 with one ``information`` issue when the write
would be accepted (dangling references under ``--referential-integrity lenient`` are
``warning`` issues), else the status and issues the write would have been refused with.
Not checked: conditional-write criteria and If-Match (they are request headers, not
content); a booking that only the store's exclusive holds would refuse (an overbook past
its Schedule's capacity, or another booking committed meanwhile) is found by the write,
not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from server.errors import FhirError, InvalidRequest, InvalidResource, Issue
from server.fhir.validation import validate_resource
from server.integrity.checker import Referrers, refused
from server.interactions import ResourceService, new_id
from server.storage.port import StoredVersion

MODES = ("create", "update", "delete")
LETTERS = {None: "c", "create": "c", "update": "u", "delete": "d"}


@dataclass(frozen=True, slots=True)
class Validation:
    """What one ``$validate`` asks: the resource (None for ``delete``) and the mode."""

    resource: dict[str, Any] | None
    mode: str | None


def validation_request(body: Any, query_mode: str | None, *, instance: bool) -> Validation:
    """Read the body and ``mode`` (400 naming the parameter when they do not fit)."""
    resource: Any = body
    mode = query_mode
    if isinstance(body, dict) and body.get("resourceType") == "Parameters":
        resource, mode = _parameters(body, mode)
    if mode is not None and mode not in MODES:
        raise InvalidRequest(
            f"mode must be one of {', '.join(MODES)}, not {mode!r}", expression="mode"
        )
    if mode in ("update", "delete") and not instance:
        raise InvalidRequest(
            f"mode {mode} validates a change of one resource: POST [type]/[id]/$validate",
            expression="mode",
        )
    if mode == "delete":
        return Validation(None, mode)
    if not isinstance(resource, dict):
        raise InvalidRequest("$validate needs the resource to validate", expression="resource")
    return Validation(resource, mode)


def _parameters(body: dict[str, Any], mode: str | None) -> tuple[Any, str | None]:
    resource: Any = None
    for index, parameter in enumerate(body.get("parameter") or ()):
        name = parameter.get("name") if isinstance(parameter, dict) else None
        where = f"Parameters.parameter[{index}]"
        if name == "resource":
            resource = parameter.get("resource")
        elif name == "mode" and isinstance(parameter.get("valueCode"), str):
            mode = parameter["valueCode"]
        elif name == "profile":
            raise InvalidRequest(
                "This server validates against the base specification only, not a profile",
                expression=where,
                code="not-supported",
            )
        else:
            raise InvalidRequest(
                f"Unknown or malformed $validate parameter {name!r}: it takes resource "
                "(a resource) and mode (a code)",
                expression=where,
            )
    return resource, mode


async def validate_write(
    service: ResourceService,
    resource_type: str,
    resource_id: str | None,
    validation: Validation,
    current: StoredVersion | None,
) -> list[Issue]:
    """Raise the write's error (every issue found) or return the warnings."""
    if validation.mode == "delete":
        assert resource_id is not None
        await _deletable(service, resource_type, resource_id)
        return []
    resource = validation.resource
    assert resource is not None
    if validation.mode == "update" and resource.get("id") != resource_id:
        raise InvalidResource(
            f"Resource id {resource.get('id')!r} does not match the URL id {resource_id!r}",
            expression=f"{resource_type}.id",
            code="invalid",
        )
    validate_resource(resource, resource_type)
    errors: list[FhirError] = []
    rule = service.rules.get(resource_type)
    if rule is not None:
        live = None if current is None or current.body is None else orjson.loads(current.body)
        try:
            rule(dict(resource), live if validation.mode == "update" else None)
        except FhirError as error:
            errors.append(error)
    hold_rule = service.hold_rules.get(resource_type)
    if hold_rule is not None and not errors:
        try:
            # A copy: a plan may complete the resource (a Slot's times, the scrub's edits).
            await hold_rule.plan(resource_id or new_id(), orjson.loads(orjson.dumps(resource)))
        except FhirError as error:
            errors.append(error)
    warnings: list[Issue] = []
    if service.integrity is not None:
        itself = {(resource_type, resource_id): True} if resource_id is not None else {}
        dangling = await service.integrity.dangling(resource, resource_type, itself)
        if dangling and service.integrity.strict:
            errors.append(refused(dangling))
        warnings += [
            Issue(d.issue().diagnostics, "business-rule", "warning", (d.expression,))
            for d in dangling
            if not service.integrity.strict
        ]
    if errors:
        first = errors[0]
        first.issues = [issue for error in errors for issue in error.issues]
        raise first
    return warnings


async def _deletable(service: ResourceService, resource_type: str, resource_id: str) -> None:
    """409 when the resource's referrers would hold its delete back."""
    integrity = service.integrity
    if integrity is None or not integrity.strict:
        return
    found = await integrity.referrers((resource_type, resource_id))
    if found:
        raise Referrers(f"{resource_type}/{resource_id}", tuple(found)).conflict()
