"""The chart, workbench, records desk and front desk in headless Chromium against a real server.

The README's pictures of these pages come from ``tests/console/screenshots_pages.py``.
"""

from __future__ import annotations

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from tests.console.browser import WAIT_SECONDS, browser, live_console
from tests.roi.factories import make_roi_task

__all__ = ["browser", "live_console"]  # the fixtures this module uses

A28 = (
    "MSH|^~\\&|LEGACYEHR|NORTHCLINIC|FHIRPORT|HOSP|20240108080000||ADT^A28^ADT_A05|BROWSER01|P|2.5.1",
    "EVN|A28|20240108080000",
    "PID|1||MRN-BROWSER-1^^^NORTH^MR||Okonkwo^Chidinma^A||19720304|F|||"
    "12 Elm St^^Columbus^OH^43004",
    "PV1|1|O|CLINIC^101^A",
    "IN1|1|AETNA-PLAN|AETNA|Aetna Health||||GRP-200||||20240101|20241231|||Okonkwo^Chidinma|SEL",
)


def wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, WAIT_SECONDS)


def test_ingest_a_pasted_message_and_see_the_patient_it_made(
    browser: WebDriver, live_console: str
) -> None:
    browser.get(f"{live_console}/console/hl7")
    field = browser.find_element(By.ID, "message")
    for segment in A28:
        field.send_keys(segment, Keys.ENTER)
    browser.find_element(By.CSS_SELECTOR, 'button[value="read"]').click()
    wait(browser).until(ready.presence_of_element_located((By.ID, "fhir-h")))
    fhir = browser.find_element(By.CSS_SELECTOR, 'section[aria-labelledby="fhir-h"]').text
    assert "PUT Patient/" in fhir
    assert "Okonkwo" in fhir
    browser.find_element(By.CSS_SELECTOR, 'button[value="ingest"]').click()
    heading = wait(browser).until(ready.presence_of_element_located((By.ID, "entry-h")))
    assert heading.text.endswith("applied")
    browser.find_element(By.LINK_TEXT, "chart").click()
    name = wait(browser).until(ready.presence_of_element_located((By.TAG_NAME, "h1")))
    assert name.text == "Chidinma A Okonkwo"
    found = httpx.get(f"{live_console}/fhir/Patient", params={"identifier": "MRN-BROWSER-1"})
    assert found.json()["total"] == 1


def test_release_a_request_from_the_records_desk(browser: WebDriver, live_console: str) -> None:
    task = make_roi_task("pat-0001", "PATRQT", "Patient/pat-0001", types=("Claim", "Coverage"))
    filed = httpx.post(f"{live_console}/fhir/Task", json=task)
    assert filed.status_code == 201, filed.text
    task_id = filed.json()["id"]
    browser.get(f"{live_console}/console/roi")
    browser.find_element(By.CSS_SELECTOR, f'a[href="/console/roi/{task_id}"]').click()
    wait(browser).until(ready.element_to_be_clickable((By.ID, "release"))).click()
    decisions = wait(browser).until(ready.presence_of_element_located((By.ID, "dec-h")))
    assert decisions.text.startswith("Decisions")
    assert "released" in browser.find_element(By.TAG_NAME, "h1").text
    stored = httpx.get(f"{live_console}/fhir/Task/{task_id}").json()
    assert stored["status"] == "completed"


def test_the_chart_and_the_front_desk(browser: WebDriver, live_console: str) -> None:
    browser.get(f"{live_console}/console/chart/pat-0001")
    wait(browser).until(ready.presence_of_element_located((By.CSS_SELECTOR, ".timeline li")))
    assert browser.find_element(By.TAG_NAME, "h1").text == "José Álvarez"
    browser.get(f"{live_console}/console/front-desk?date=2024-09-12")
    columns = browser.find_elements(By.CSS_SELECTOR, "table.schedule thead th")
    assert len(columns) >= 2


@pytest.mark.parametrize(
    "path",
    [
        "/console/hl7",
        "/console/hl7/ledger",
        "/console/hl7/report",
        "/console/chart",
        "/console/chart/pat-0001",
        "/console/roi",
        "/console/roi/disclosures?patient=pat-0001",
        "/console/front-desk?date=2024-09-12",
    ],
)
def test_pages_have_one_heading_and_labelled_fields(
    browser: WebDriver, live_console: str, path: str
) -> None:
    browser.get(f"{live_console}{path}")
    assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1
    fields = browser.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), select, textarea")
    for field in fields:
        ident = field.get_attribute("id")
        assert browser.find_elements(By.CSS_SELECTOR, f'label[for="{ident}"]'), ident


def test_the_workbench_works_from_the_keyboard(browser: WebDriver, live_console: str) -> None:
    browser.get(f"{live_console}/console/hl7")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)  # the skip link
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    for _ in range(20):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        if browser.switch_to.active_element.get_attribute("id") == "message":
            break
    active = browser.switch_to.active_element
    assert active.get_attribute("id") == "message"
    active.send_keys(A28[0], Keys.ENTER, A28[2])
    active.send_keys(Keys.TAB)  # to Read
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    wait(browser).until(ready.presence_of_element_located((By.ID, "segments-h")))
    assert "PID-5.1" in browser.page_source
