"""The console in a real headless Chromium against a real server: search, open a patient,
compare two versions, and see the home page's panels load."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from tests.console.browser import WAIT_SECONDS, browser, live_console

__all__ = ["browser", "live_console"]  # the fixtures this module uses


def replaced(element: WebElement) -> Callable[[WebDriver], bool]:
    """Whether ``element``'s page has been navigated away from. Chromium answers a node of
    the page being torn down either stale or "does not belong to the document"; both
    mean the new page is coming (``staleness_of`` knows only the first)."""

    def gone(_: WebDriver) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" not in str(exc):
                raise
            return True
        return False

    return gone


def wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    return WebDriverWait(driver, WAIT_SECONDS)


def test_search_for_a_patient_and_open_their_page(browser: WebDriver, live_console: str) -> None:
    browser.get(f"{live_console}/console/browse/Patient")
    field = browser.find_element(By.ID, "v-family")
    before = browser.find_element(By.TAG_NAME, "html")
    field.send_keys("Álvarez", Keys.ENTER)
    wait(browser).until(replaced(before))  # the results page, not the first one
    link = wait(browser).until(
        ready.element_to_be_clickable((By.CSS_SELECTOR, 'a[href="/console/Patient/pat-0001"]'))
    )
    link.click()
    card = wait(browser).until(ready.presence_of_element_located((By.CLASS_NAME, "card-title")))
    assert card.text == "José Álvarez"
    assert "1980-02-29" in browser.find_element(By.CLASS_NAME, "card").text
    assert '"resourceType": "Patient"' in browser.find_element(By.CSS_SELECTOR, "pre.json").text


def test_the_diff_of_two_versions(browser: WebDriver, live_console: str) -> None:
    patient = httpx.get(f"{live_console}/fhir/Patient/pat-0002").json()
    patient.setdefault("telecom", []).append({"system": "email", "value": "new@example.org"})
    saved = httpx.put(f"{live_console}/fhir/Patient/pat-0002", json=patient)
    assert saved.status_code == 200, saved.text
    newest = saved.json()["meta"]["versionId"]
    browser.get(f"{live_console}/console/Patient/pat-0002/_history")
    browser.find_element(By.CSS_SELECTOR, 'input[name="from"][value="1"]').click()
    browser.find_element(By.CSS_SELECTOR, f'input[name="to"][value="{newest}"]').click()
    before = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, "form.history button[type=submit]").click()
    wait(browser).until(replaced(before))  # the page opened with a diff already
    added = wait(browser).until(
        ready.presence_of_all_elements_located((By.CSS_SELECTOR, ".diff .add"))
    )
    assert any("new@example.org" in line.text for line in added)


def test_the_home_pages_panels_load(browser: WebDriver, live_console: str) -> None:
    browser.get(f"{live_console}/")
    counts = wait(browser).until(
        ready.presence_of_element_located((By.CSS_SELECTOR, "#counts table"))
    )
    assert "Patient" in counts.text
    wait(browser).until(ready.presence_of_element_located((By.CSS_SELECTOR, "#hl7v2 svg")))
    assert browser.find_element(By.ID, "counts").get_attribute("aria-busy") == "false"


def test_the_keyboard_reaches_the_search_field(browser: WebDriver, live_console: str) -> None:
    browser.get(f"{live_console}/console/browse/Patient")
    browser.find_element(By.TAG_NAME, "body").send_keys("/")
    assert browser.switch_to.active_element.get_attribute("data-shortcut") == "/"


@pytest.mark.parametrize("path", ["/", "/console/browse/Patient", "/console/Patient/pat-0001"])
def test_pages_have_one_heading_and_labelled_fields(
    browser: WebDriver, live_console: str, path: str
) -> None:
    browser.get(f"{live_console}{path}")
    assert len(browser.find_elements(By.TAG_NAME, "h1")) == 1
    fields = browser.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), select, textarea")
    for field in fields:
        labelled = (
            field.get_attribute("aria-label")
            or field.find_elements(By.XPATH, "ancestor::label")  # the label around it
            or browser.find_elements(By.CSS_SELECTOR, f'label[for="{field.get_attribute("id")}"]')
        )
        assert labelled, field.get_attribute("name")
