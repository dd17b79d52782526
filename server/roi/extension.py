"""``Task/{id}/$extend``: the one 30-day extension of an ROI request (45 CFR 164.524(b)(2)(iii)).

The extension must be taken while the first 30 days run (the rule asks for a written
statement within that time) and only once; the Task records it in an extension (reason,
the original due date, when) and a note, and its due date moves by 30 days.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import orjson

from server.errors import BusinessRuleViolation, Conflict, InvalidRequest
from server.fhir.clock import fhir_instant, now_us
from server.interactions import ResourceService
from server.roi import codes
from server.roi.deadline import day_of, extended
from server.roi.request import is_roi_task
from server.roi.task_rules import OPEN, due_date
from server.roi.versions import replaced
from server.storage.port import StoredVersion, VersionConflict


async def extend_due_date(
    service: ResourceService, task_id: str, reason: str, *, today: date | None = None
) -> StoredVersion:
    """Extend an open ROI Task's due date once by 30 days, recording ``reason``."""
    if not reason.strip():
        raise InvalidRequest("$extend needs a reason (a string parameter)", expression="reason")
    today = today or datetime.now(UTC).date()
    async with service.writers.hold(("Task", task_id)):
        current = await service.read("Task", task_id)
        assert current.body is not None
        task = orjson.loads(current.body)
        due = _extendable(task, today)
        new_due = extended(due).isoformat()
        when = fhir_instant(now_us())
        task.setdefault("extension", []).append(
            {
                "url": codes.DUE_EXTENSION_URL,
                "extension": [
                    {"url": "reason", "valueString": reason},
                    {"url": "originalDue", "valueDateTime": due.isoformat()},
                    {"url": "extendedOn", "valueDateTime": when},
                ],
            }
        )
        task.setdefault("note", []).append(
            {
                "time": when,
                "text": f"Due date extended once by 30 days, from {due.isoformat()} to "
                f"{new_due} (45 CFR 164.524(b)(2)(iii)): {reason}",
            }
        )
        task["restriction"]["period"]["end"] = new_due
        write = replaced(service, current, task)
        try:
            await service.store.write([write])
        except VersionConflict:
            raise Conflict(f"Task/{task_id} changed meanwhile; retry the extension") from None
        return write.version


def _extendable(task: dict[str, Any], today: date) -> date:
    if not is_roi_task(task):
        raise BusinessRuleViolation(
            "Only a release-of-information request has a due date to extend",
            expression="Task.code",
        )
    if task.get("status") not in OPEN:
        raise BusinessRuleViolation(
            f"This request is {task.get('status')}: only an open request is extended",
            expression="Task.status",
        )
    if any(e.get("url") == codes.DUE_EXTENSION_URL for e in task.get("extension", ())):
        raise BusinessRuleViolation(
            "The due date was extended already; the law allows one extension",
            expression="Task.extension",
        )
    due = day_of(due_date(task), "Task.restriction.period.end")
    if today > due:
        raise BusinessRuleViolation(
            f"The request was due on {due.isoformat()}: an extension must be taken before",
            expression="Task.restriction.period.end",
        )
    return due
