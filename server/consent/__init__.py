"""The consent decision engine: what of a patient's records a request may receive.

Pure functions and dataclasses, no I/O: a ``ConsentDecider`` compiles the patient's
Consent resources once for a ``DisclosureRequest`` and then decides each candidate
resource, explaining every ``Decision``. ``labelled_copy`` gives a permitted resource
as it is to be released. ``docs/consent.md`` describes the rules and their legal basis.
"""

from server.consent.applicability import SkippedConsent
from server.consent.candidate import Candidate, candidate_from_resource, relevant_date
from server.consent.decision import Basis, Decision, labelled_copy
from server.consent.engine import ConsentDecider
from server.consent.inputs import Coding, DisclosureRequest, Effect, Party, Policy, Scope
from server.consent.time_range import TimeRange

__all__ = [
    "Basis",
    "Candidate",
    "Coding",
    "ConsentDecider",
    "Decision",
    "DisclosureRequest",
    "Effect",
    "Party",
    "Policy",
    "Scope",
    "SkippedConsent",
    "TimeRange",
    "candidate_from_resource",
    "labelled_copy",
    "relevant_date",
]
