"""The front desk: a day's schedule per practitioner, waitlist offers, reminders, claims to fix.

The schedule is ``Appointment?date={day}`` with its practitioners included; the offers
are the waitlist's Tasks, the reminders the reminder Communications, the claims
``Claim/$scrub-worklist``. A list the server cannot give (an operation it lacks) says
so; one the user's access does not cover shows the API's answer in its place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Final

from starlette.responses import Response

from server.console.api_client import ApiAnswer, Params
from server.console.page import NavItem, Page, PageRoute
from server.console.views.fhir_text import bundle_resources, human_name
from server.console.views.front_desk import (
    WorkItem,
    claims_to_fix,
    communications,
    schedule_grid,
    tasks,
)
from server.console.views.operation_answer import operation_answer

DESK: Final = "/console/front-desk"
WAITLIST_OFFER: Final = "https://fhirport.dev/CodeSystem/front-desk|waitlist-offer"
REMINDER: Final = "http://terminology.hl7.org/CodeSystem/communication-category|reminder"
LIST_SIZE: Final = "20"
# A crowded day (a large practice, every practitioner) shows its earliest appointments;
# one practitioner's day always fits.
DAY_SIZE = "150"


@dataclass(frozen=True, slots=True)
class WorkList:
    """A desk list: its items, or why there are none to show."""

    title: str
    available: bool = True
    items: list[WorkItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _work_list(
    title: str, answer: ApiAnswer, read: Callable[[list[dict[str, Any]]], list[WorkItem]]
) -> WorkList:
    if answer.ok:
        return WorkList(title, items=read(bundle_resources(answer.body)))
    if not operation_answer(answer.status, answer.body).available:
        return WorkList(title, available=False)
    return WorkList(title, problems=answer.problems or [f"The API answered {answer.status}"])


async def _lists(page: Page) -> list[WorkList]:
    api = page.api
    offers, reminders, claims = await asyncio.gather(
        api.search("Task", {"code": WAITLIST_OFFER, "status": "requested", "_count": LIST_SIZE}),
        api.search(
            "Communication", {"category": REMINDER, "_sort": "-_lastUpdated", "_count": LIST_SIZE}
        ),
        api.get("/fhir/Claim/$scrub-worklist", {"_count": LIST_SIZE}),
    )
    return [
        _work_list("Waitlist offers", offers, tasks),
        _work_list("Reminders", reminders, communications),
        _work_list("Claims a payer would deny", claims, claims_to_fix),
    ]


def _day(page: Page) -> date | None:
    text = page.request.query_params.get("date", "").strip()
    if not text:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _has_next(bundle: dict[str, Any]) -> bool:
    return any(link.get("relation") == "next" for link in bundle.get("link") or ())


async def desk(page: Page) -> Response:
    day = _day(page)
    practitioner = page.request.query_params.get("practitioner", "").strip()
    if day is None:
        return page.render(
            "front_desk/desk.html",
            status=400,
            title="Front desk",
            day="",
            practitioner=practitioner,
            practitioners=[],
            problems=["The date must be a day, as 2026-03-02."],
        )
    params: list[tuple[str, str]] = [
        ("date", day.isoformat()),
        ("_include", "Appointment:practitioner"),
        ("_include", "Appointment:patient"),
        ("_sort", "date"),
        ("_count", DAY_SIZE),
    ]
    if practitioner:
        params.append(("practitioner", practitioner))
    everyone: Params = {"_count": "100", "_sort": "family"}
    # Independent reads: each one's store time overlaps the others' instead of adding up.
    day_answer, staff_answer, lists = await asyncio.gather(
        page.api.search("Appointment", params),
        page.api.search("Practitioner", everyone),
        _lists(page),
    )
    found = day_answer.json()
    resources = bundle_resources(found)
    appointments = [r for r in resources if r.get("resourceType") == "Appointment"]
    included = [r for r in resources if r.get("resourceType") != "Appointment"]
    staff = bundle_resources(staff_answer.json())
    return page.render(
        "front_desk/desk.html",
        title="Front desk",
        day=day.isoformat(),
        practitioner=practitioner,
        practitioners=[(f"Practitioner/{p.get('id')}", human_name(p)) for p in staff],
        grid=schedule_grid(appointments, included),
        cut=int(DAY_SIZE) if _has_next(found) else None,
        lists=lists,
    )


ROUTES = (PageRoute(DESK, desk),)
NAV = (NavItem("Front desk", DESK, order=50),)
