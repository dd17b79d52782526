"""Screenshots of the chart, HL7v2 workbench, records desk and front desk (docs/console/).

``tests/console/screenshots.py`` takes them with the console's own: ``PAGE_SHOTS`` join
its list, ``prepare_pages`` adds what the sandbox lacks (a booked day, requests for
records, a released one), and a shot's ``act`` does what a person would before the
picture (paste a message and press Read, upload a report, press Release).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from tests.roi.factories import LAW_FIRM, make_roi_task

DAY = "2025-11-24"  # the sandbox's "today"
REPORT = Path(__file__).with_name("import-report.json")
A28 = (
    "MSH|^~\\&|LEGACYEHR|NORTHCLINIC|FHIRPORT|HOSP|20240108080000||ADT^A28^ADT_A05|LEG000001|P|2.5.1",
    "EVN|A28|20240108080000",
    "PID|1||MRN1001^^^NORTH^MR||Okafor^Amara||19650813|F|||996 Cedar Ln^^Springfield^IL^62701",
    "PV1|1|O|CLINIC^101^A|||||1234567893^Welby^Marcus",
    "IN1|1|AETNA-PLAN|AETNA|Aetna Health||||GRP-200||||20240101|20241231|||Okafor^Amara|SEL",
    "ZPI|1|VIP|Prefers morning calls",
)
# (id, practitioner, patient, start, minutes, what)
_DAY_BOOKINGS = (
    ("shot-1", "prac-jones", "pat-0003", "08:30", 20, "Annual physical"),
    ("shot-2", "prac-jones", "pat-0004", "09:00", 30, "Blood pressure follow-up"),
    ("shot-3", "prac-nguyen", "pat-0005", "08:45", 15, "Flu shot"),
    ("shot-4", "prac-nguyen", "pat-0006", "10:00", 30, "Diabetes follow-up"),
    ("shot-5", "prac-garcia", "pat-0007", "09:15", 45, "New patient visit"),
    ("shot-6", "prac-garcia", "pat-0008", "11:00", 20, "Back pain"),
)


def _booking(
    ident: str, practitioner: str, patient: str, start: str, minutes: int, what: str
) -> dict[str, object]:
    hour, minute = (int(part) for part in start.split(":"))
    end = hour * 60 + minute + minutes
    return {
        "resourceType": "Appointment",
        "id": ident,
        "status": "booked",
        "description": what,
        "start": f"{DAY}T{start}:00-05:00",
        "end": f"{DAY}T{end // 60:02d}:{end % 60:02d}:00-05:00",
        "participant": [
            {"actor": {"reference": f"Patient/{patient}"}, "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{practitioner}"}, "status": "accepted"},
        ],
    }


def prepare_pages(root: str) -> None:
    """A booked day for the front desk, and open and released requests for the records desk."""
    for booking in _DAY_BOOKINGS:
        httpx.put(
            f"{root}/fhir/Appointment/{booking[0]}", json=_booking(*booking)
        ).raise_for_status()
    requests = [
        make_roi_task("pat-0001", "PATRQT", "Patient/pat-0001", types=("Claim", "Coverage")),
        make_roi_task(
            "pat-0001", "HLEGAL", LAW_FIRM, types=("Claim",), authorization="cons-roi-0001"
        ),
        make_roi_task(
            "pat-0002",
            "HPAYMT",
            "Organization/org-evergreen",
            types=("Claim",),
            authoredOn="2025-10-01",
            restriction={
                "recipient": [{"reference": "Organization/org-evergreen"}],
                "period": {"end": "2025-10-31"},
            },
        ),
    ]
    for task in requests:
        httpx.post(f"{root}/fhir/Task", json=task).raise_for_status()
    released = httpx.post(
        f"{root}/fhir/Task",
        json=make_roi_task(
            "pat-0001", "HLEGAL", LAW_FIRM, types=("Claim",), authorization="cons-roi-0001"
        ),
    )
    httpx.post(f"{root}/fhir/Task/{released.json()['id']}/$release").raise_for_status()


def _read_message(driver: WebDriver) -> None:
    field = driver.find_element(By.ID, "message")
    for segment in A28:
        field.send_keys(segment, Keys.ENTER)
    driver.find_element(By.CSS_SELECTOR, 'button[value="read"]').click()


def _upload_report(driver: WebDriver) -> None:
    driver.find_element(By.ID, "report").send_keys(str(REPORT))
    driver.find_element(By.CSS_SELECTOR, "form[enctype] button[type=submit]").click()


def _open_and_release(driver: WebDriver) -> None:
    own_request = "//tr[td[contains(., 'PATRQT')]]//a[starts-with(@href, '/console/roi/')]"
    driver.find_element(By.XPATH, own_request).click()
    driver.find_element(By.ID, "release").click()


Act = Callable[[WebDriver], None]

# (name, path, ready selector, act)
PAGE_SHOTS: tuple[tuple[str, str, str, Act | None], ...] = (
    ("patient-chart", "/console/chart/pat-0001", ".timeline li", None),
    ("hl7-workbench", "/console/hl7", "#fhir-h", _read_message),
    ("hl7-ledger", "/console/hl7/ledger?sender=LEGACY%7CNORTH&control-id=SHOT1", "#entry-h", None),
    ("hl7-import-report", "/console/hl7/report", "#gaps-h", _upload_report),
    ("records-desk", "/console/roi", "tbody tr", None),
    ("records-desk-release", "/console/roi", "#dec-h", _open_and_release),
    ("disclosures", "/console/roi/disclosures?patient=pat-0001&all=true", "tbody tr", None),
    ("front-desk", f"/console/front-desk?date={DAY}", "table.schedule", None),
)
