"""Browser tests' harness: the real ``fhirport serve`` on a free port and headless Chromium.

``live_console`` starts the server (``--auth none``, the sandbox data seeded, the audit
log on) once per module; ``browser`` is a Selenium driver of Debian's ``chromium``
through its ``chromedriver``. Without them the tests skip, saying so.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from tests.e2e.server_process import running_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
WINDOW = (1360, 900)
WAIT_SECONDS = 10.0


def chromium_driver() -> WebDriver:
    """A headless Chromium driven by chromedriver (the caller quits it)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # containers run as root without user namespaces
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))


def console_server(store: Path) -> Iterator[str]:
    """Run ``fhirport serve`` with the sandbox data; yield the console's root URL."""
    with running_server(
        f"sqlite:///{store}", "--seed", "--auth", "none", "--audit", "all", timeout=60.0
    ) as fhir_base:
        yield fhir_base.removesuffix("/fhir")


@pytest.fixture(scope="module")
def live_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from console_server(tmp_path_factory.mktemp("console") / "store.sqlite3")


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip(
            "no chromium and chromedriver on PATH "
            "(Debian: apt-get install chromium chromium-driver)"
        )
    driver = chromium_driver()
    try:
        yield driver
    finally:
        driver.quit()
