"""The business rules of an ROI Task on every client write (a ``WriteRule`` for Task).

- The shape is checked (``server.roi.request``); ``authoredOn`` (received) is set to
  today when absent and never changes afterwards.
- The due date (``restriction.period.end``) is received + 30 days unless the client gives
  an earlier one; after creation only ``$extend`` moves it, once.
- Status: created ``requested``; then ``in-progress`` or ``rejected``; ``completed`` only
  by ``$release``; ``completed`` and ``rejected`` are final. A rejection needs
  ``statusReason`` and gets the note on the patient's review rights.
- ``output`` and the due-date extension record are the server's: a client write keeps
  the current ones, whatever it sends.

Tasks of other codes pass untouched.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from server.errors import BusinessRuleViolation
from server.roi import codes
from server.roi.deadline import day_of, due_after
from server.roi.request import is_roi_task, read_roi_task

OPEN: Final = frozenset({"requested", "in-progress"})
FINAL: Final = frozenset({"completed", "rejected"})
_NEXT: Final[dict[str | None, frozenset[str]]] = {
    None: frozenset({"requested"}),
    "requested": frozenset({"requested", "in-progress", "rejected"}),
    "in-progress": frozenset({"in-progress", "rejected"}),
}
REVIEW_RIGHTS: Final = (
    "Your review rights: where this denial is reviewable (45 CFR 164.524(a)(3)), you may have "
    "it reviewed by a licensed health care professional designated by us who took no part "
    "in the original decision (164.524(a)(4), (d)(4)); you may also complain to us or to the "
    "Secretary of Health and Human Services (164.524(d)(2)(iii))."
)


def roi_task_rule(resource: dict[str, Any], current: dict[str, Any] | None) -> None:
    """Check and complete a client's write of a Task (see the module docstring)."""
    was_roi = current is not None and is_roi_task(current)
    if not is_roi_task(resource):
        if was_roi:
            raise BusinessRuleViolation(
                "A release-of-information request keeps its code", expression="Task.code"
            )
        return
    read_roi_task(resource)
    before = current if was_roi else None
    _check_status(resource, before)
    _keep_server_owned(resource, before)
    _set_dates(resource, before)
    if resource["status"] == "rejected":
        add_review_rights(resource)


def _check_status(resource: dict[str, Any], current: dict[str, Any] | None) -> None:
    previous = current.get("status") if current is not None else None
    status = resource.get("status")
    if previous in FINAL:
        raise BusinessRuleViolation(
            f"This request is {previous}: a final status does not change",
            expression="Task.status",
        )
    if status == "completed":
        raise BusinessRuleViolation(
            "A request is completed by POST Task/{id}/$release, which records the disclosure",
            expression="Task.status",
        )
    allowed = _NEXT.get(previous if isinstance(previous, str) else None, frozenset())
    if status not in allowed:
        raise BusinessRuleViolation(
            f"Status {status!r} cannot follow {previous or 'creation'!r} (allowed: "
            f"{', '.join(sorted(allowed))})",
            expression="Task.status",
        )
    if status == "rejected" and not resource.get("statusReason"):
        raise BusinessRuleViolation(
            "A rejected request needs a statusReason", expression="Task.statusReason"
        )


def _keep_server_owned(resource: dict[str, Any], current: dict[str, Any] | None) -> None:
    outputs = (current or {}).get("output")
    if outputs:
        resource["output"] = outputs
    else:
        resource.pop("output", None)
    mine = [e for e in resource.get("extension", ()) if e.get("url") != codes.DUE_EXTENSION_URL]
    kept = [
        e for e in (current or {}).get("extension", ()) if e.get("url") == codes.DUE_EXTENSION_URL
    ]
    if mine or kept:
        resource["extension"] = mine + kept
    else:
        resource.pop("extension", None)


def _set_dates(resource: dict[str, Any], current: dict[str, Any] | None) -> None:
    if current is not None:
        received_on = current.get("authoredOn")
        if resource.get("authoredOn", received_on) != received_on:
            raise BusinessRuleViolation(
                "authoredOn is when the request was received; it does not change",
                expression="Task.authoredOn",
            )
        resource["authoredOn"] = received_on
    resource.setdefault("authoredOn", datetime.now(UTC).date().isoformat())
    received = day_of(resource["authoredOn"], "Task.authoredOn")
    restriction = resource.setdefault("restriction", {})
    period = restriction.setdefault("period", {})
    current_due = due_date(current) if current is not None else None
    if current_due is not None:
        if period.get("end", current_due) != current_due:
            raise BusinessRuleViolation(
                "The due date moves only by POST Task/{id}/$extend",
                expression="Task.restriction.period.end",
            )
        period["end"] = current_due
        return
    latest = due_after(received)
    if "end" in period and day_of(period["end"], "Task.restriction.period.end") > latest:
        raise BusinessRuleViolation(
            f"The due date may be no later than {latest.isoformat()} (received + 30 days, "
            "45 CFR 164.524(b)(2)); extend it once by POST Task/{id}/$extend",
            expression="Task.restriction.period.end",
        )
    period.setdefault("end", latest.isoformat())


def due_date(task: dict[str, Any]) -> str | None:
    """The Task's due date as stored (``restriction.period.end``), or None."""
    end = ((task.get("restriction") or {}).get("period") or {}).get("end")
    return end if isinstance(end, str) else None


def add_review_rights(task: dict[str, Any]) -> None:
    """Add the note on the patient's review rights unless the Task has it already."""
    notes = task.setdefault("note", [])
    if not any(n.get("text") == REVIEW_RIGHTS for n in notes):
        notes.append({"time": _now_instant(), "text": REVIEW_RIGHTS})


def _now_instant() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
