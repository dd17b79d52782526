"""``Patient/{id}/$disclosures``: the accounting of disclosures (45 CFR 164.528).

The disclosure AuditEvents of the last six years that name the patient, newest first.
164.528(a)(1) exempts disclosures for treatment, payment and health care operations
(TREAT, ETREAT, HPAYMT, HOPERAT), to the individual (PATRQT, or the patient as recipient)
and under an authorization (the recipient agent names the authorizing Consent in
``policy``): they are left out unless ``all`` is asked for.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

import orjson

from server.consent import codes as consent_codes
from server.search.engine import SearchEngine
from server.storage.port import StoredVersion

ACCOUNTING_YEARS: Final = 6
EXEMPT_PURPOSES: Final = frozenset(
    {
        consent_codes.TREAT,
        consent_codes.ETREAT,
        consent_codes.HPAYMT,
        consent_codes.HOPERAT,
        consent_codes.PATRQT,
    }
)
_PAGE = "1000"


async def disclosures(
    engine: SearchEngine, patient_id: str, today: date, *, include_exempt: bool
) -> list[StoredVersion]:
    """The patient's disclosure AuditEvents since six years before ``today``, newest first."""
    since = _years_before(today, ACCOUNTING_YEARS)
    params = [
        ("patient", f"Patient/{patient_id}"),
        ("subtype", "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle|disclose"),
        ("date", f"ge{since.isoformat()}"),
        ("_sort", "-date"),
        ("_count", _PAGE),
    ]
    parsed = engine.parse("AuditEvent", params, lenient=False)
    found: list[StoredVersion] = []
    while True:
        result = await engine.run(parsed)
        found.extend(v for v in result.page.versions if include_exempt or not exempt(v, patient_id))
        if result.page.next_cursor is None:
            return found
        parsed.cursor = result.page.next_cursor


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February, in a year without one
        return day.replace(year=day.year - years, day=28)


def exempt(version: StoredVersion, patient_id: str) -> bool:
    """True when 164.528(a)(1) exempts this disclosure from the accounting."""
    assert version.body is not None
    event: dict[str, Any] = orjson.loads(version.body)
    purposes = {
        coding.get("code")
        for concept in event.get("purposeOfEvent", ())
        for coding in concept.get("coding", ())
        if coding.get("system") == consent_codes.V3_ACT_REASON
    }
    if purposes & EXEMPT_PURPOSES:
        return True
    for agent in event.get("agent", ()):
        if agent.get("requestor"):
            continue
        if (agent.get("who") or {}).get("reference") == f"Patient/{patient_id}":
            return True
        if any(str(p).startswith("Consent/") for p in agent.get("policy", ())):
            return True
    return False
