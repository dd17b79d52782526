"""One resource: its readable view beside its JSON, its history with a diff of any two
versions, and an editor that validates (``$validate``) before it saves (``PUT`` with
``If-Match``), so a save never overwrites a version the user did not see.
"""

from __future__ import annotations

from typing import Any, Final

import orjson
from starlette.responses import RedirectResponse, Response

from server.api import convertors as _convertors  # noqa: F401  (registers fhirtype, fhirid)
from server.console.api_client import ApiAnswer
from server.console.diff import version_diff
from server.console.launching import launch, launchable_apps
from server.console.page import Page, PageRoute
from server.console.templates import pretty_json

HISTORY_SIZE: Final = 100
RESOURCE: Final = "/console/{type:fhirtype}/{id:fhirid}"


def _names(page: Page) -> tuple[str, str]:
    return page.request.path_params["type"], page.request.path_params["id"]


async def view(page: Page) -> Response:
    type_name, resource_id = _names(page)
    resource = (await page.api.read(type_name, resource_id)).json()
    apps = await launchable_apps(page.request) if type_name == "Patient" else []
    return page.render(
        "resource.html",
        title=f"{type_name}/{resource_id}",
        type_name=type_name,
        resource_id=resource_id,
        resource=resource,
        saved=page.request.query_params.get("saved"),
        apps=apps,
    )


async def version(page: Page) -> Response:
    type_name, resource_id = _names(page)
    version_id = page.request.path_params["version"]
    resource = (await page.api.get(f"/fhir/{type_name}/{resource_id}/_history/{version_id}")).json()
    return page.render(
        "resource.html",
        title=f"{type_name}/{resource_id} version {version_id}",
        type_name=type_name,
        resource_id=resource_id,
        resource=resource,
        saved=None,
    )


def _versions(bundle: dict[str, Any]) -> list[dict[str, str]]:
    versions = []
    for entry in bundle.get("entry", ()):
        resource = entry.get("resource", {})
        request = entry.get("request", {})
        response = entry.get("response", {})
        meta = resource.get("meta", {})
        version_id = meta.get("versionId") or response.get("etag", "").strip('W/"')
        when = meta.get("lastUpdated") or response.get("lastModified", "")
        method = {"POST": "created", "PUT": "updated", "DELETE": "deleted"}.get(
            request.get("method", ""), request.get("method", "")
        )
        versions.append({"id": str(version_id), "when": when, "method": method})
    return versions


async def history(page: Page) -> Response:
    type_name, resource_id = _names(page)
    bundle = (
        await page.api.get(
            f"/fhir/{type_name}/{resource_id}/_history", {"_count": str(HISTORY_SIZE)}
        )
    ).json()
    versions = _versions(bundle)
    kept = [v["id"] for v in versions if v["method"] != "deleted"]
    params = page.request.query_params
    chosen_to = params.get("to") or (kept[0] if kept else "")
    chosen_from = params.get("from") or (kept[1] if len(kept) > 1 else chosen_to)
    diff = None
    if chosen_from and chosen_to:
        base = f"/fhir/{type_name}/{resource_id}/_history"
        old = (await page.api.get(f"{base}/{chosen_from}")).json()
        new = (await page.api.get(f"{base}/{chosen_to}")).json()
        diff = version_diff(old, new)
    return page.render(
        "history.html",
        title=f"History of {type_name}/{resource_id}",
        type_name=type_name,
        resource_id=resource_id,
        versions=versions,
        chosen_from=chosen_from,
        chosen_to=chosen_to,
        diff=diff,
    )


def _editor(
    page: Page,
    text: str,
    version_id: str,
    *,
    status: int = 200,
    verdict: str = "",
    problems: list[str] | None = None,
) -> Response:
    type_name, resource_id = _names(page)
    return page.render(
        "edit.html",
        status=status,
        title=f"Edit {type_name}/{resource_id}",
        type_name=type_name,
        resource_id=resource_id,
        text=text,
        version=version_id,
        verdict=verdict,
        problems=problems or [],
    )


async def edit_form(page: Page) -> Response:
    type_name, resource_id = _names(page)
    resource = (await page.api.read(type_name, resource_id)).json()
    return _editor(page, pretty_json(resource), str(resource.get("meta", {}).get("versionId", "")))


def _refusal(page: Page, text: str, version_id: str, answer: ApiAnswer, verdict: str) -> Response:
    return _editor(
        page,
        text,
        version_id,
        status=answer.status,
        verdict=verdict,
        problems=answer.problems or [f"The API answered {answer.status}"],
    )


async def edit(page: Page) -> Response:
    type_name, resource_id = _names(page)
    form = await page.form()
    text = str(form.get("resource") or "")
    version_id = str(form.get("version") or "")
    try:
        resource = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return _editor(
            page, text, version_id, status=400, verdict="This is not JSON.", problems=[str(exc)]
        )
    if not isinstance(resource, dict):
        return _editor(
            page,
            text,
            version_id,
            status=400,
            verdict="A resource is a JSON object.",
            problems=["The text is JSON, but not an object."],
        )
    path = f"/fhir/{type_name}/{resource_id}"
    checked = await page.api.call(
        "POST", f"{path}/$validate", params={"mode": "update"}, json=resource
    )
    if not checked.ok:
        return _refusal(page, text, version_id, checked, "Not saved: $validate refused it.")
    if form.get("action") == "validate":
        return _editor(page, text, version_id, verdict="Valid: the server would accept this write.")
    saved = await page.api.call(
        "PUT", path, json=resource, headers={"If-Match": f'W/"{version_id}"'}
    )
    if not saved.ok:
        verdict = (
            "Not saved: someone saved a newer version since you opened the editor."
            if saved.status == 412
            else "Not saved: the API refused the write."
        )
        return _refusal(page, text, version_id, saved, verdict)
    new_version = saved.json().get("meta", {}).get("versionId", "")
    return RedirectResponse(f"/console/{type_name}/{resource_id}?saved={new_version}", 303)


ROUTES = (
    PageRoute(RESOURCE, view),
    PageRoute(f"{RESOURCE}/_history", history),
    PageRoute(f"{RESOURCE}/_history/{{version:fhirid}}", version),
    PageRoute(f"{RESOURCE}/edit", edit_form),
    PageRoute(f"{RESOURCE}/edit", edit, methods=("POST",)),
    PageRoute(f"{RESOURCE}/launch", launch, methods=("POST",)),
)
