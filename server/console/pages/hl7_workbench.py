"""The HL7v2 workbench: read a pasted message, see the FHIR it becomes, ingest it, look it up.

Reading parses the message here (the ingest path's parser) and asks
``$hl7v2-convert`` for the transaction it would apply; nothing is stored. Ingesting
posts it to ``$hl7v2-ingest`` and shows its ledger entry (``$hl7v2-ledger``): the
outcome and the resources it wrote, each linked to its console page. An import report
is a file the importer wrote; the workbench reads the upload and links each refused
message to its ledger entry.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlencode

from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from server.console.page import NavItem, Page, PageRoute
from server.console.views.hl7_message import describe_message
from server.console.views.hl7_results import converted_resources, ingest_results, ledger_view
from server.console.views.import_report import ReportError, read_report

ER7: Final = {"Content-Type": "x-application/hl7-v2+er7"}
WORKBENCH: Final = "/console/hl7"
LEDGER: Final = "/console/hl7/ledger"
REPORT: Final = "/console/hl7/report"
MAX_REPORT_BYTES: Final = 64 * 1024 * 1024


async def workbench(page: Page) -> Response:
    return page.render("hl7/workbench.html", title="HL7v2 workbench", message="")


def _ledger_url(sender: str, control_id: str) -> str:
    return f"{LEDGER}?{urlencode({'sender': sender, 'control-id': control_id})}"


async def submit(page: Page) -> Response:
    """Read the pasted message (``action=read``) or ingest it (``action=ingest``)."""
    form = await page.form()
    text = str(form.get("message") or "").replace("\r\n", "\r").replace("\n", "\r")
    view = describe_message(text)
    if view.error is not None:
        return page.render(
            "hl7/workbench.html", status=400, title="HL7v2 workbench", message=text, view=view
        )
    if form.get("action") == "ingest":
        return await _ingest(page, text, view.sender, view.control_id)
    converted = await page.api.call("POST", "/fhir/$hl7v2-convert", content=text, headers=ER7)
    return page.render(
        "hl7/workbench.html",
        title="HL7v2 workbench",
        message=text,
        view=view,
        converted=converted_resources(converted.body) if converted.ok else None,
        problems=converted.problems,
        ledger_link=_ledger_url(view.sender, view.control_id) if view.control_id else "",
    )


async def _ingest(page: Page, text: str, sender: str, control_id: str) -> Response:
    answer = await page.api.call("POST", "/fhir/$hl7v2-ingest", content=text, headers=ER7)
    if not answer.ok:
        return page.refused(answer)
    if control_id:
        return RedirectResponse(_ledger_url(sender, control_id), 303)
    # A message without MSH-10 has no ledger entry to show: show what the ingest said.
    return page.render(
        "hl7/workbench.html",
        title="HL7v2 workbench",
        message=text,
        results=ingest_results(answer.body),
    )


async def ledger(page: Page) -> Response:
    """Find one message in the ledger by sender (MSH-3|MSH-4) and control id (MSH-10)."""
    sender = page.request.query_params.get("sender", "").strip()
    control_id = page.request.query_params.get("control-id", "").strip()
    context: dict[str, Any] = {
        "title": "HL7v2 ledger",
        "sender": sender,
        "control_id": control_id,
    }
    if not sender or not control_id:
        return page.render("hl7/ledger.html", **context)
    answer = await page.api.get("/fhir/$hl7v2-ledger", {"sender": sender, "control-id": control_id})
    if answer.status == 404:
        return page.render("hl7/ledger.html", status=404, problems=answer.problems, **context)
    return page.render("hl7/ledger.html", entry=ledger_view(answer.json()), **context)


async def report_form(page: Page) -> Response:
    return page.render("hl7/report.html", title="Import report")


async def report(page: Page) -> Response:
    """Show an uploaded import report: totals, refused messages, vocabulary gaps."""
    form = await page.form()
    try:
        upload = form.get("report")
        data = await upload.read(MAX_REPORT_BYTES + 1) if isinstance(upload, UploadFile) else None
        name = upload.filename or "" if isinstance(upload, UploadFile) else ""
    finally:
        await form.close()
    if data is None:
        problem = "Choose the JSON file fhirport hl7 import --report wrote."
    elif len(data) > MAX_REPORT_BYTES:
        problem = "The file is larger than an import report the console opens (64 MB)."
    else:
        try:
            view = read_report(data)
        except ReportError as exc:
            problem = str(exc)
        else:
            return page.render(
                "hl7/report.html",
                title="Import report",
                report=view,
                file_name=name,
                ledger_url=_ledger_url,
            )
    return page.render("hl7/report.html", status=400, title="Import report", problems=[problem])


ROUTES = (
    PageRoute(WORKBENCH, workbench),
    PageRoute(WORKBENCH, submit, methods=("POST",)),
    PageRoute(LEDGER, ledger),
    PageRoute(REPORT, report_form),
    PageRoute(REPORT, report, methods=("POST",)),
)
NAV = (NavItem("HL7v2", WORKBENCH, order=30),)
