"""The records desk: release-of-information requests, their release, and disclosures.

Everything goes through the ROI operations (docs/roi.md): the work list is the Task
search for open ROI requests soonest due first, release is ``Task/{id}/$release`` with
``_explain=true`` so the clerk sees every record's decision and its reason, extension
is ``Task/{id}/$extend``, and the accounting is ``Patient/{id}/$disclosures``.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any, Final

from starlette.responses import RedirectResponse, Response

from server.console.page import NavItem, Page, PageRoute
from server.console.views.fhir_text import bundle_resources, names_by_reference
from server.console.views.roi import (
    DUE_SOON_DAYS,
    disclosures,
    release_view,
    request_view,
    worklist_params,
)
from server.fhir.ids import is_fhir_id

DESK: Final = "/console/roi"
BUCKETS: Final = ("overdue", "due-soon", "open")


def _today() -> datetime:
    return datetime.now(UTC)


async def worklist(page: Page) -> Response:
    found = (await page.api.search("Task", worklist_params())).json()
    today = _today().date()
    resources = bundle_resources(found)
    tasks = [r for r in resources if r.get("resourceType") == "Task"]
    requests = [request_view(task, today) for task in tasks]
    counts = Counter(r.bucket for r in requests)
    return page.render(
        "roi/worklist.html",
        title="Records desk",
        requests=requests,
        counts=[(bucket, counts[bucket]) for bucket in BUCKETS],
        due_soon_days=DUE_SOON_DAYS,
        total=found.get("total"),
        names=names_by_reference(resources),
    )


async def _show(
    page: Page, task_id: str, status: int = 200, problems: list[str] | None = None
) -> Response:
    task = (await page.api.read("Task", task_id)).json()
    return page.render(
        "roi/request.html",
        status=status,
        title=f"Request {task_id}",
        request=request_view(task, _today().date()),
        problems=problems or [],
    )


async def show(page: Page) -> Response:
    return await _show(page, page.request.path_params["id"])


async def release(page: Page) -> Response:
    """Release what the consent engine permits, and show why each record went or stayed."""
    await page.form()
    task_id = page.request.path_params["id"]
    answer = await page.api.call(
        "POST", f"/fhir/Task/{task_id}/$release", params={"_explain": "true"}
    )
    if not answer.ok:
        return await _show(page, task_id, answer.status, answer.problems)
    # Rendered, not redirected: the decisions are in this answer only (a second post
    # of the form is refused by the API, the request being closed).
    return page.render(
        "roi/released.html",
        title=f"Request {task_id} released",
        task_id=task_id,
        release=release_view(answer.json()),
    )


async def extend(page: Page) -> Response:
    form = await page.form()
    task_id = page.request.path_params["id"]
    reason = str(form.get("reason") or "").strip()
    answer = await page.api.call(
        "POST",
        f"/fhir/Task/{task_id}/$extend",
        json={
            "resourceType": "Parameters",
            "parameter": [{"name": "reason", "valueString": reason}],
        },
    )
    if not answer.ok:
        return await _show(page, task_id, answer.status, answer.problems)
    return RedirectResponse(f"{DESK}/{task_id}", 303)


async def accounting(page: Page) -> Response:
    """A patient's accounting of disclosures (``all`` also lists the exempt ones)."""
    patient = page.request.query_params.get("patient", "").strip()
    every = page.request.query_params.get("all") == "true"
    context: dict[str, Any] = {
        "title": "Accounting of disclosures",
        "patient": patient,
        "every": every,
    }
    if not patient:
        return page.render("roi/disclosures.html", **context)
    if not is_fhir_id(patient):
        problem = f"{patient!r} is not a patient id (letters, digits, '-' and '.')."
        return page.render("roi/disclosures.html", status=400, problems=[problem], **context)
    params = {"all": "true"} if every else None
    found = (await page.api.get(f"/fhir/Patient/{patient}/$disclosures", params)).json()
    return page.render(
        "roi/disclosures.html", disclosures=disclosures(bundle_resources(found)), **context
    )


ROUTES = (
    PageRoute(DESK, worklist),
    PageRoute(f"{DESK}/disclosures", accounting),
    PageRoute(f"{DESK}/{{id}}", show),
    PageRoute(f"{DESK}/{{id}}/release", release, methods=("POST",)),
    PageRoute(f"{DESK}/{{id}}/extend", extend, methods=("POST",)),
)
NAV = (NavItem("Records desk", DESK, order=40),)
