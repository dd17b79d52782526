"""Signing in to the console in a real headless Chromium, against ``fhirport serve --auth
smart`` with a user added by ``fhirport users add`` while it runs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

from tests.console.browser import WAIT_SECONDS, browser
from tests.e2e.server_process import running_server

__all__ = ["browser"]
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def smart_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = f"sqlite:///{tmp_path_factory.mktemp('smart-console') / 'store.sqlite3'}"
    with running_server(store, "--seed", "--auth", "smart", timeout=60.0) as fhir_base:
        fhirport = Path(sys.executable).parent / "fhirport"
        subprocess.run(
            [
                str(fhirport),
                "users",
                "add",
                "sjones",
                "--fhir-user",
                "Practitioner/prac-jones",
                "--store",
                store,
                "--password-stdin",
            ],
            input=PASSWORD.encode(),
            check=True,
            capture_output=True,
        )
        yield fhir_base.removesuffix("/fhir")


def test_sign_in_then_open_a_patient(browser: WebDriver, smart_console: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{smart_console}/console/Patient/pat-0001")
    browser.find_element(By.LINK_TEXT, "Sign in with your fhirport account").click()
    WebDriverWait(browser, WAIT_SECONDS).until(
        ready.presence_of_element_located((By.ID, "username"))
    ).send_keys("sjones")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    card = WebDriverWait(browser, WAIT_SECONDS).until(
        ready.presence_of_element_located((By.CLASS_NAME, "card-title"))
    )
    assert card.text == "José Álvarez"
    assert "sjones" in browser.find_element(By.CLASS_NAME, "who").text
