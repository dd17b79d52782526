"""Code sets a claim's codes are checked against.

ICD-10-CM comes from ``simple-icd-10-cm`` (MIT licence), which ships the CMS/CDC
release files of one fiscal-year update; it is imported on first use, off the event
loop, since reading the release takes seconds. CPT codes are checked by form only: their
descriptors are licensed by the AMA. HCPCS Level II codes are checked by form too.
"""

from __future__ import annotations

import asyncio
import gc
import re
import warnings
from dataclasses import dataclass
from datetime import date
from functools import cache
from types import ModuleType

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = frozenset(
    {"urn:oid:2.16.840.1.113883.6.285", "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"}
)

# The release simple-icd-10-cm 1.5 ships (the April 1, 2026 update of FY2026), and the
# dates of service it is the code set in force for.
ICD10CM_RELEASE = "ICD-10-CM FY2026 (April 1, 2026 update)"
ICD10CM_IN_FORCE = (date(2026, 4, 1), date(2026, 9, 30))

# CPT: five digits (Category I), or four digits and F or T (Categories II and III);
# HCPCS Level II: a letter A-V and four digits; modifiers: two letters or digits.
CPT_FORM = re.compile(r"\d{5}|\d{4}[FT]")
HCPCS_FORM = re.compile(r"[A-V]\d{4}")
MODIFIER_FORM = re.compile(r"[A-Z0-9]{2}")
ICD10CM_FORM = re.compile(r"[A-Z]\d[0-9A-Z](\.?[0-9A-Z]{1,4})?")


@dataclass(frozen=True, slots=True)
class Icd10Verdict:
    """What the release says of a code: unknown, known but not billable, or billable."""

    known: bool
    billable: bool


@cache
def _package() -> ModuleType:
    # It reads its data with importlib.resources' legacy read_text (deprecated in 3.11).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm

    return simple_icd_10_cm  # type: ignore[no-any-return]


async def load_icd10cm() -> None:
    """Read the release in a worker thread (once), so that checks never block the loop."""
    if _package.cache_info().currsize == 0:
        await asyncio.to_thread(_package)
        # The release is over half a million objects that live as long as the process:
        # exempt them from collection as the FHIR models are (server.gc_settle), or every
        # full collection walks them again.
        gc.freeze()


def icd10cm(code: str) -> Icd10Verdict:
    """The release's verdict on ``code`` (with or without its dot); call load_icd10cm first."""
    if not ICD10CM_FORM.fullmatch(code):
        return Icd10Verdict(known=False, billable=False)
    cm = _package()
    if not cm.is_valid_item(code) or cm.is_chapter_or_block(code):
        return Icd10Verdict(known=False, billable=False)
    return Icd10Verdict(known=True, billable=bool(cm.is_leaf(code)))


def npi_valid(npi: str) -> bool:
    """The NPI check digit: Luhn over the number prefixed with 80840 (the card issuer id)."""
    if len(npi) != 10 or not npi.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed("80840" + npi)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0
