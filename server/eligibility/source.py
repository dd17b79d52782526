"""The seam for where eligibility comes from: the coverage on file, or a payer.

An ``EligibilitySource`` answers a CoverageEligibilityRequest with a verdict per
coverage. fhirport has one, ``OnFileEligibility`` (server.eligibility.on_file); a
payer adapter (an X12 270 sent to a clearinghouse, its 271 read back) would be
another, built on the same request and giving the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class ServiceDays:
    """The date of service: one day, or the first and last day of a period."""

    first: str
    last: str

    def __str__(self) -> str:
        return self.first if self.first == self.last else f"{self.first} to {self.last}"


@dataclass(frozen=True, slots=True)
class CoverageVerdict:
    """A coverage and whether it is in force on the date of service (why not, if not)."""

    reference: str  # Coverage/id
    coverage: dict[str, Any]
    inforce: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class EligibilityError:
    """Why a coverage could not be checked: a code of ERROR_SYSTEM and its text."""

    code: str
    text: str


@dataclass(frozen=True, slots=True)
class Eligibility:
    """The answer of a source: its verdicts, its errors, and what it checked against."""

    days: ServiceDays
    verdicts: tuple[CoverageVerdict, ...]
    errors: tuple[EligibilityError, ...]
    checked_against: str  # said in the response's disposition


class EligibilitySource(Protocol):
    """Answers eligibility requests."""

    async def check(self, request: dict[str, Any]) -> Eligibility:
        """The verdicts on the request's coverages (a validated CoverageEligibilityRequest)."""
        ...
