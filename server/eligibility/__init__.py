"""Eligibility: a CoverageEligibilityRequest answered from the coverage on file.

``POST /fhir/CoverageEligibilityRequest``, and a POST entry of a transaction or batch,
store the request and its CoverageEligibilityResponse together; the answer comes from an
``EligibilitySource``
(the coverage on file here; the seam where a payer adapter would go).
"""

from __future__ import annotations

from server.eligibility.in_force import InForce, in_force
from server.eligibility.on_file import CHECKED_AGAINST, OnFileEligibility
from server.eligibility.process import REQUEST, RESPONSE, Processed, process, respond
from server.eligibility.source import EligibilitySource

__all__ = [
    "CHECKED_AGAINST",
    "REQUEST",
    "RESPONSE",
    "EligibilitySource",
    "InForce",
    "OnFileEligibility",
    "Processed",
    "in_force",
    "process",
    "respond",
]
