"""Read a release-of-information Task: its fixed shape, checked, as a ``RoiRequest``.

The shape (docs/roi.md): ``code`` task-type|release-of-information, ``for`` the Patient,
``requester``, one ``restriction.recipient``, the purpose in ``reasonCode``
(v3-ActReason), and inputs typed with the task-type code system: ``authorization``
(valueReference to a Consent), ``resource-type`` (valueCode, repeatable; none = every
record type) and ``data-period`` (valuePeriod). A wrong shape is a 422 naming the element.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.consent import Coding, DisclosureRequest, Party, Scope, TimeRange
from server.consent import codes as consent_codes
from server.errors import BusinessRuleViolation
from server.roi import codes
from server.roi.scope import RECORD_TYPES


@dataclass(frozen=True, slots=True)
class RoiRequest:
    """What an ROI Task asks: whose records, by whom, for whom, for what, which ones."""

    patient_id: str
    requester: Party
    recipient: Party
    purpose: str  # v3 ActReason
    resource_types: frozenset[str] | None  # None: every record type
    data_period: TimeRange | None
    authorization: str | None  # the id of the authorizing Consent

    def disclosure_request(self, now: datetime) -> DisclosureRequest:
        """The consent engine's question for this request, asked at ``now``."""
        return DisclosureRequest(
            patient_id=self.patient_id,
            requester=self.requester,
            recipient=self.recipient,
            purpose=self.purpose,
            now=now,
            scope=Scope(self.resource_types, self.data_period),
        )


def is_roi_task(task: dict[str, Any]) -> bool:
    """True when the Task's code is release-of-information."""
    code = task.get("code")
    codings = code.get("coding", ()) if isinstance(code, dict) else ()
    return any(
        isinstance(c, dict)
        and c.get("system") == codes.TASK_TYPE
        and c.get("code") == codes.RELEASE_OF_INFORMATION
        for c in codings
    )


def read_roi_task(task: dict[str, Any]) -> RoiRequest:
    """Check an ROI Task's shape and read it; 422 with the element's path if it is wrong."""
    patient = _reference(task.get("for"), "Task.for")
    if patient is None or not patient.startswith("Patient/"):
        raise _shape("Task.for must reference the Patient whose records are requested", "for")
    recipients = (task.get("restriction") or {}).get("recipient") or []
    if len(recipients) != 1:
        raise _shape(
            "Task.restriction.recipient must name exactly one recipient", "restriction.recipient"
        )
    types, period, authorization = _inputs(task.get("input") or [])
    return RoiRequest(
        patient_id=patient.removeprefix("Patient/"),
        requester=_party(task.get("requester"), "requester", codes.REQUESTER_ROLE),
        recipient=_party(recipients[0], "restriction.recipient[0]", codes.RECIPIENT_ROLE),
        purpose=_purpose(task.get("reasonCode")),
        resource_types=types,
        data_period=period,
        authorization=authorization,
    )


def _shape(message: str, element: str) -> BusinessRuleViolation:
    return BusinessRuleViolation(message, expression=f"Task.{element}")


def _reference(value: Any, expression: str) -> str | None:
    """A literal relative reference ``Type/id``, None when there is none; 422 if malformed."""
    ref = value.get("reference") if isinstance(value, dict) else None
    if ref is None:
        return None
    parts = str(ref).split("/")
    if len(parts) != 2 or not parts[0][:1].isupper() or not parts[1]:
        raise BusinessRuleViolation(
            f"{expression} must be a relative reference like Organization/123, not {ref!r}",
            expression=expression,
        )
    return str(ref)


def _party(value: Any, element: str, role: str) -> Party:
    reference = _reference(value, f"Task.{element}")
    identifier = value.get("identifier") if isinstance(value, dict) else None
    found = (
        Coding.from_fhir({"system": identifier.get("system"), "code": identifier.get("value")})
        if isinstance(identifier, dict)
        else None
    )
    if reference is None and found is None:
        raise _shape(f"Task.{element} must give a reference or an identifier", element)
    return Party(Coding(codes.PARTICIPATION_TYPE, role), reference, found)


def _purpose(reason: Any) -> str:
    codings = reason.get("coding", ()) if isinstance(reason, dict) else ()
    for coding in codings:
        if coding.get("system") == consent_codes.V3_ACT_REASON and coding.get("code"):
            return str(coding["code"])
    raise _shape(
        f"Task.reasonCode must carry the purpose of use as a {consent_codes.V3_ACT_REASON} code",
        "reasonCode",
    )


def _inputs(
    inputs: list[dict[str, Any]],
) -> tuple[frozenset[str] | None, TimeRange | None, str | None]:
    types: set[str] = set()
    period: TimeRange | None = None
    authorization: str | None = None
    for index, item in enumerate(inputs):
        kind = _input_type(item.get("type"))
        where = f"input[{index}]"
        if kind == codes.RESOURCE_TYPE:
            value = item.get("valueCode")
            if value not in RECORD_TYPES:
                allowed = ", ".join(sorted(RECORD_TYPES))
                raise _shape(f"resource-type {value!r} is not a record type ({allowed})", where)
            types.add(value)
        elif kind == codes.DATA_PERIOD and period is None and "valuePeriod" in item:
            try:
                period = TimeRange.from_period(item["valuePeriod"])
            except ValueError:
                raise _shape("data-period must be a Period of FHIR dates", where) from None
        elif kind == codes.AUTHORIZATION and authorization is None:
            ref = _reference(item.get("valueReference"), f"Task.{where}.valueReference")
            if ref is None or not ref.startswith("Consent/"):
                raise _shape("an authorization input must reference a Consent", where)
            authorization = ref.removeprefix("Consent/")
        else:
            raise _shape(
                f"input type {kind!r} is not one of {', '.join(sorted(codes.INPUT_TYPES))} "
                f"({codes.TASK_TYPE}), given once with its value[x] (resource-type may repeat)",
                where,
            )
    return (frozenset(types) if types else None), period, authorization


def _input_type(concept: Any) -> str | None:
    codings = concept.get("coding", ()) if isinstance(concept, dict) else ()
    for coding in codings:
        if coding.get("system") == codes.TASK_TYPE:
            return str(coding.get("code"))
    return None
