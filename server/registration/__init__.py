"""Registration checks: what a patient's registration lacks or has wrong, and the day's list."""

from __future__ import annotations

from server.registration.check import Finding, check, outcome
from server.registration.facts import PatientFacts, gather
from server.registration.rules import CODE_SYSTEM, RULES
from server.registration.worklist import worklist

__all__ = [
    "CODE_SYSTEM",
    "RULES",
    "Finding",
    "PatientFacts",
    "check",
    "gather",
    "outcome",
    "worklist",
]
