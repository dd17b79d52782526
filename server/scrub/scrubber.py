"""Run the edit table over a Claim and answer the OperationOutcome of its edits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.errors import Issue, Severity
from server.scrub import code_sets
from server.scrub.edits import CODE_SYSTEM, EDITS
from server.scrub.facts import ClaimFacts, FactsReader
from server.storage.port import Store


@dataclass(frozen=True, slots=True)
class ClaimEdit(Issue):
    """An OperationOutcome issue that names its edit in ``details`` (CODE_SYSTEM)."""

    edit: str = ""
    display: str = ""

    def to_json(self) -> dict[str, Any]:
        issue = Issue.to_json(self)
        issue["details"] = {
            "coding": [{"system": CODE_SYSTEM, "code": self.edit, "display": self.display}]
        }
        return issue


def run_edits(facts: ClaimFacts) -> list[ClaimEdit]:
    """Every edit the table finds in ``facts``, in table order."""
    found: list[ClaimEdit] = []
    for edit in EDITS:
        for hit in edit.check(facts):
            severity: Severity = hit.severity or edit.severity
            found.append(
                ClaimEdit(
                    diagnostics=hit.diagnostics,
                    code="business-rule" if severity in ("error", "fatal") else "informational",
                    severity=severity,
                    expression=(hit.expression,),
                    edit=edit.code,
                    display=edit.display,
                )
            )
    return found


def denied(edits: list[ClaimEdit]) -> bool:
    """Whether a payer would deny the claim: an error-level edit."""
    return any(e.severity in ("error", "fatal") for e in edits)


def outcome(edits: list[ClaimEdit]) -> dict[str, Any]:
    """The OperationOutcome of a scrub; one information issue when nothing was found."""
    issues = [e.to_json() for e in edits] or [
        {"severity": "information", "code": "informational", "diagnostics": "No edits found"}
    ]
    return {"resourceType": "OperationOutcome", "issue": issues}


class Scrubber:
    """Scrubs claims against the resources of one store; the claims scrubbed at the same
    time share their reads (server.scrub.facts)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.facts = FactsReader(store)

    async def scrub(self, claim: dict[str, Any], claim_id: str | None = None) -> list[ClaimEdit]:
        """The edits of ``claim`` (stored as ``claim_id``; None when it is not stored)."""
        await code_sets.load_icd10cm()
        return run_edits(await self.facts.gather(claim, claim_id))
