"""The patient chart: the record on a timeline, its registration check, its disclosures.

The record is ``Patient/{id}/$everything`` read page by page up to ``MAX_RECORDS``; the
registration check is ``Patient/{id}/$registration-check`` where the server has it; the
disclosures are ``Patient/{id}/$disclosures?all=true`` (the accounting's exempt ones
too: staff see every disclosure; the records desk shows the accounting itself).
"""

from __future__ import annotations

from typing import Any, Final

from starlette.responses import Response

from server.console.api_client import FhirApi
from server.console.page import NavItem, Page, PageRoute
from server.console.views.chart import TIMELINE_TYPES, patient_summary, timeline
from server.console.views.fhir_text import bundle_resources
from server.console.views.operation_answer import operation_answer
from server.console.views.roi import disclosures

CHART: Final = "/console/chart"
PAGE_SIZE: Final = 200
MAX_RECORDS: Final = 1000


async def find(page: Page) -> Response:
    """Patients by name (``Patient?name=``), each linked to its chart."""
    name = page.request.query_params.get("name", "").strip()
    patients: list[dict[str, Any]] = []
    if name:
        found = await page.api.search("Patient", {"name": name, "_count": "50"})
        patients = bundle_resources(found.json())
    return page.render(
        "chart/find.html",
        title="Patient chart",
        name=name,
        patients=[patient_summary(p) for p in patients],
    )


async def _record(api: FhirApi, patient_id: str) -> tuple[list[dict[str, Any]], bool]:
    """The record's resources, and whether it was cut at MAX_RECORDS."""
    path: str | None = f"/fhir/Patient/{patient_id}/$everything"
    params: dict[str, str] | None = {"_count": str(PAGE_SIZE), "_type": ",".join(TIMELINE_TYPES)}
    resources: list[dict[str, Any]] = []
    while path is not None and len(resources) < MAX_RECORDS:
        bundle = (await api.get(path, params)).json()
        resources += bundle_resources(bundle)
        following = next(
            (
                link.get("url")
                for link in bundle.get("link") or ()
                if link.get("relation") == "next"
            ),
            None,
        )
        path, params = (str(following), None) if following else (None, None)
    return resources[:MAX_RECORDS], path is not None


async def chart(page: Page) -> Response:
    patient_id = page.request.path_params["id"]
    patient = (await page.api.read("Patient", patient_id)).json()
    resources, cut = await _record(page.api, patient_id)
    check = await page.api.get(f"/fhir/Patient/{patient_id}/$registration-check")
    disclosed = await page.api.get(f"/fhir/Patient/{patient_id}/$disclosures", {"all": "true"})
    return page.render(
        "chart/chart.html",
        title=f"Chart: {patient_summary(patient).name}",
        patient=patient,
        summary=patient_summary(patient),
        events=timeline(resources),
        cut=cut,
        max_records=MAX_RECORDS,
        check=operation_answer(check.status, check.body),
        disclosures=disclosures(bundle_resources(disclosed.body)) if disclosed.ok else None,
        disclosure_problems=disclosed.problems,
    )


ROUTES = (PageRoute(CHART, find), PageRoute(f"{CHART}/{{id}}", chart))
NAV = (NavItem("Patient chart", CHART, order=20),)
