"""Home: the server's status, what the store holds, HL7v2 traffic, recent activity.

The page itself asks only ``/readyz``; its three panels are fragments htmx loads after
it (each a separate page, so one slow or refused panel holds up nothing else).
"""

from __future__ import annotations

from typing import Final

from starlette.responses import Response

from server.console.activity import activity as activity_of
from server.console.charts import day_chart
from server.console.page import NavItem, Page, PageRoute
from server.registry import HELD_TYPES

ACTIVITY_SIZE: Final = 12
CHART_DAYS: Final = "7"


async def home(page: Page) -> Response:
    ready = await page.api.get("/readyz")
    status = ready.body if isinstance(ready.body, dict) else {"status": "fail", "checks": {}}
    return page.render("home.html", title="Home", ready=status)


async def counts(page: Page) -> Response:
    """How many resources of each held type: one batch of ``_summary=count`` searches."""
    batch = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"request": {"method": "GET", "url": f"{name}?_summary=count"}} for name in HELD_TYPES
        ],
    }
    answer = (await page.api.call("POST", "/fhir", json=batch)).json()
    found: list[tuple[str, int | None]] = []
    for name, entry in zip(HELD_TYPES, answer.get("entry", ()), strict=False):
        total = entry.get("resource", {}).get("total")
        ok = str(entry.get("response", {}).get("status", "")).startswith("200")
        found.append((name, total if ok and isinstance(total, int) else None))
    refused = any(count is None for _, count in found)
    return page.render("home_counts.html", counts=found, refused=refused)


async def hl7v2(page: Page) -> Response:
    summary = (await page.api.get("/fhir/$hl7v2-ledger-summary", {"days": CHART_DAYS})).json()
    return page.render("home_hl7v2.html", chart=day_chart(summary))


async def activity(page: Page) -> Response:
    bundle = (
        await page.api.search("AuditEvent", {"_sort": "-date", "_count": str(ACTIVITY_SIZE)})
    ).json()
    events = [
        activity_of(entry["resource"]) for entry in bundle.get("entry", ()) if "resource" in entry
    ]
    audit_on = page.request.app.state.settings.audit != "off"
    return page.render("home_activity.html", events=events, audit_on=audit_on)


ROUTES = (
    PageRoute("/", home),
    PageRoute("/console/home/counts", counts),
    PageRoute("/console/home/hl7v2", hl7v2),
    PageRoute("/console/home/activity", activity),
)
NAV = (NavItem("Home", "/", order=0),)
