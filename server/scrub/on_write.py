"""Scrubbing on a client's create or update of a Claim (``--scrub-on-create``).

``error``: a Claim with an error-level edit is refused, 422 with the edits. ``warn``
(the default) and ``error`` store the edits with the Claim, as extensions of the
resource (a contained OperationOutcome would need OperationOutcome to be a held type):
``SCRUB_STATUS_URL`` (``clean``, ``warnings`` or ``denied``: an error-level edit a payer
would deny), which the ``scrub-status`` search parameter indexes and
``GET /fhir/Claim/$scrub-worklist`` lists, and one complex ``SCRUB_EDIT_URL`` extension
per edit (``code`` as a Coding of the claim-edit CodeSystem, ``severity``,
``expression``, ``diagnostics``): the issues of the OperationOutcome ``$scrub`` answers.
Each write scrubs again and replaces them. ``off``: nothing runs. HL7v2 ingest (DFT)
runs no client rules: what the billing system sent is recorded as sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from server.errors import BusinessRuleViolation, Issue
from server.scrub.edits import CODE_SYSTEM
from server.scrub.scrubber import ClaimEdit, Scrubber, denied
from server.storage.port import HoldTaken, Write

SCRUB_STATUS_URL = "https://fhirport.dev/fhir/StructureDefinition/scrub-status"
SCRUB_EDIT_URL = "https://fhirport.dev/fhir/StructureDefinition/scrub-edit"

ScrubMode = Literal["error", "warn", "off"]


def strip_scrub(claim: dict[str, Any]) -> None:
    """Remove what an earlier scrub stored in ``claim`` (a client may send it back)."""
    kept = [
        e
        for e in claim.get("extension") or ()
        if not (isinstance(e, dict) and e.get("url") in (SCRUB_STATUS_URL, SCRUB_EDIT_URL))
    ]
    if kept:
        claim["extension"] = kept
    else:
        claim.pop("extension", None)


def status_of(edits: list[ClaimEdit]) -> str:
    if denied(edits):
        return "denied"
    return "warnings" if edits else "clean"


def _edit_extension(edit: ClaimEdit) -> dict[str, Any]:
    return {
        "url": SCRUB_EDIT_URL,
        "extension": [
            {
                "url": "code",
                "valueCoding": {"system": CODE_SYSTEM, "code": edit.edit, "display": edit.display},
            },
            {"url": "severity", "valueCode": edit.severity},
            {"url": "expression", "valueString": edit.expression[0]},
            {"url": "diagnostics", "valueString": edit.diagnostics},
        ],
    }


def record_scrub(claim: dict[str, Any], edits: list[ClaimEdit]) -> None:
    """Store the edits in ``claim``: its status, and an extension per edit."""
    claim["extension"] = [
        *(claim.get("extension") or ()),
        {"url": SCRUB_STATUS_URL, "valueCode": status_of(edits)},
        *(_edit_extension(edit) for edit in edits),
    ]


class ScrubOnWrite:
    """The Claim rule of client writes (server.hold_rules.HoldRule) for a scrub mode."""

    def __init__(self, scrubber: Scrubber, mode: ScrubMode) -> None:
        self.scrubber = scrubber
        self.mode = mode

    async def plan(self, resource_id: str, resource: dict[str, Any]) -> NoHolds:
        """Scrub the claim and record its edits in it; 422 in ``error`` mode if denied."""
        strip_scrub(resource)
        edits = await self.scrubber.scrub(resource, resource_id)
        if self.mode == "error" and denied(edits):
            refused: list[Issue] = [e for e in edits if e.severity in ("error", "fatal")]
            raise BusinessRuleViolation(
                f"The claim has {len(refused)} edit(s) a payer would deny it for",
                issues=refused,
            )
        record_scrub(resource, edits)
        return NoHolds()

    async def settle(self, plan: NoHolds, taken: HoldTaken) -> NoHolds:
        """Never needed: a Claim asks for no keys, so the store refuses it none."""
        raise taken

    async def released(self, resource_id: str, current: dict[str, Any]) -> tuple[Write, ...]:
        """Nothing: a deleted Claim leaves nothing behind to change."""
        return ()


@dataclass(frozen=True, slots=True)
class NoHolds:
    """A scrubbed Claim's plan: it leaves its (no) keys as they are."""

    holds: None = None
    more: tuple[Write, ...] = ()
