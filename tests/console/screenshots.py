"""Screenshots of the console's pages for docs/console/ and the README.

``python -m tests.console.screenshots [NAME ...]`` starts ``fhirport serve`` with the
sandbox data (plus a few HL7v2 messages and a second version of one patient, so the
chart and the diff have something to show), opens each page in headless Chromium and
writes ``docs/console/<name>.png``. Run by hand when a page changes; the tests never
rewrite them.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from tests.console.browser import WAIT_SECONDS, WINDOW, chromium_driver, console_server
from tests.console.screenshots_pages import PAGE_SHOTS, prepare_pages
from tests.ingest.messages import adt, unsupported, without_pid

OUT = Path(__file__).resolve().parents[2] / "docs" / "console"
MAX_HEIGHT = 2000


@dataclass(frozen=True)
class Shot:
    name: str
    path: str
    ready: str  # a CSS selector present once the page has what it shows
    act: Callable[[WebDriver], None] | None = None  # what a person does before the picture


SHOTS = (
    Shot("home", "/", "#activity table"),
    Shot("browse", "/console/browse/Patient?v.address-city=&_count=10", "table"),
    Shot("patient", "/console/Patient/pat-0001", ".card"),
    Shot("appointment", "/console/Appointment/appt-0001", ".card"),
    Shot("claim", "/console/Claim/claim-0001", ".card"),
    Shot("history", "/console/Patient/pat-0002/_history", ".diff"),
    Shot("editor", "/console/Patient/pat-0002/edit", "textarea"),
    *(Shot(*shot) for shot in PAGE_SHOTS),
)


def prepare(root: str) -> None:
    """Traffic for the chart and the activity list, and a second version to compare."""
    er7 = {"Content-Type": "x-application/hl7-v2+er7"}
    messages = [adt(f"SHOT{n}", mrn=f"SHOT{n}") for n in range(6)]
    messages += [without_pid("SHOTX1"), unsupported("SHOTX2"), adt("SHOT0", mrn="SHOT0")]
    for message in messages:
        httpx.post(f"{root}/fhir/$hl7v2-ingest", content=message, headers=er7)
    patient = httpx.get(f"{root}/fhir/Patient/pat-0002").json()
    patient.setdefault("telecom", []).append({"system": "email", "value": "ana@example.org"})
    patient["maritalStatus"] = {"text": "Married"}
    httpx.put(f"{root}/fhir/Patient/pat-0002", json=patient).raise_for_status()
    httpx.get(f"{root}/fhir/Patient/pat-0001")
    prepare_pages(root)


def take(driver: WebDriver, root: str, shot: Shot) -> Path:
    driver.set_window_size(*WINDOW)
    driver.get(root + shot.path)
    if shot.act is not None:
        shot.act(driver)
    WebDriverWait(driver, WAIT_SECONDS).until(
        ready.presence_of_element_located((By.CSS_SELECTOR, shot.ready))
    )
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(WINDOW[0], min(int(height), MAX_HEIGHT))
    target = OUT / f"{shot.name}.png"
    driver.save_screenshot(str(target))
    return target


def main(names: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    chosen = [shot for shot in SHOTS if not names or shot.name in names]
    with tempfile.TemporaryDirectory() as folder:
        servers = console_server(Path(folder) / "store.sqlite3")
        root = next(servers)
        try:
            prepare(root)
            driver = chromium_driver()
            try:
                for shot in chosen:
                    print(take(driver, root, shot))
            finally:
                driver.quit()
        finally:
            servers.close()


if __name__ == "__main__":
    main(sys.argv[1:])
