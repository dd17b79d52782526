"""The authorization server's pages (sign in, pick a patient, approve, errors), server-rendered.

Jinja2 templates under ``server/auth/templates``, escaped automatically. Every page is
``no-store`` and may not be framed (no clickjacking of the Allow button); no script runs
on them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

TEMPLATES = Path(__file__).parent / "templates"
_ENVIRONMENT = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    # No form-action: it would also stop the redirect to the app after the last form.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}


def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The rendered ``template`` (a file name under TEMPLATES) as an HTML answer."""
    html = _ENVIRONMENT.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def error_page(message: str, status: int = 400) -> HTMLResponse:
    """An error shown to the person (never a redirect to an unverified address)."""
    return page("error.html", status, title="Cannot continue", message=message)


def patient_label(resource: dict[str, Any]) -> str:
    """A patient as the picker lists them: name, birth date and id."""
    names = resource.get("name") or [{}]
    first = names[0] if isinstance(names[0], dict) else {}
    given = " ".join(str(g) for g in first.get("given", []) if isinstance(g, str))
    family = first.get("family") if isinstance(first.get("family"), str) else ""
    name = " ".join(part for part in (given, family) if part) or first.get("text") or "(no name)"
    born = resource.get("birthDate")
    return f"{name}{f', born {born}' if born else ''} (Patient/{resource.get('id')})"
