"""The resource types this server holds: the one list routes, validation and metadata read.

Adding a type is an entry here; the FHIR semantics (structure, bindings, search
parameters) come from the specification's data, not from code per type.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from fhir.resources.R4B import get_fhir_model_class
from pydantic import BaseModel


class Interaction(StrEnum):
    """FHIR RESTful interactions (CapabilityStatement.rest.resource.interaction.code)."""

    READ = "read"
    VREAD = "vread"
    UPDATE = "update"
    PATCH = "patch"
    DELETE = "delete"
    HISTORY_INSTANCE = "history-instance"
    HISTORY_TYPE = "history-type"
    CREATE = "create"
    SEARCH_TYPE = "search-type"


ALL_INTERACTIONS: frozenset[Interaction] = frozenset(Interaction)
# Resources the server writes itself (audit trail) are read-only through the API.
READ_ONLY_INTERACTIONS: frozenset[Interaction] = frozenset(
    {
        Interaction.READ,
        Interaction.VREAD,
        Interaction.HISTORY_INSTANCE,
        Interaction.HISTORY_TYPE,
        Interaction.SEARCH_TYPE,
    }
)


@dataclass(frozen=True, slots=True)
class Operation:
    """An extended operation on a type (CapabilityStatement.rest.resource.operation)."""

    name: str  # without the $
    definition: str  # canonical URL of its OperationDefinition
    documentation: str = ""


@dataclass(frozen=True, slots=True)
class ResourceType:
    """One held resource type and the interactions the server offers on it."""

    name: str
    interactions: frozenset[Interaction] = ALL_INTERACTIONS
    documentation: str = ""
    operations: tuple[Operation, ...] = ()

    @property
    def model(self) -> type[BaseModel]:
        return model_class(self.name)

    def supports(self, interaction: Interaction) -> bool:
        return interaction in self.interactions


_OPERATIONS_BASE = "https://fhirport.dev/fhir/OperationDefinition"

HELD_TYPES: dict[str, ResourceType] = {
    t.name: t
    for t in (
        ResourceType(
            "Patient",
            documentation="Demographics and identifiers of people receiving care",
            operations=(
                Operation(
                    "disclosures",
                    f"{_OPERATIONS_BASE}/Patient-disclosures",
                    "GET: the accounting of disclosures (45 CFR 164.528) of the last six years;"
                    " all=true includes the exempt ones",
                ),
            ),
        ),
        ResourceType("Appointment", documentation="Scheduled, cancelled and completed visits"),
        ResourceType("Coverage", documentation="Insurance that may pay for care"),
        ResourceType("Consent", documentation="Consent to treatment and privacy decisions"),
        ResourceType(
            "Claim", documentation="Billing claims with ICD-10 diagnoses and CPT/HCPCS items"
        ),
        ResourceType("Organization", documentation="Payers and provider organizations"),
        ResourceType("Practitioner", documentation="Clinicians and staff"),
        ResourceType("Location", documentation="Places where care is given"),
        ResourceType("RelatedPerson", documentation="Next of kin, guarantors and subscribers"),
        ResourceType(
            "Task",
            documentation="Work items; release-of-information requests with their 30-day clock",
            operations=(
                Operation(
                    "release",
                    f"{_OPERATIONS_BASE}/Task-release",
                    "POST: decide and release an ROI request's records, with its disclosure"
                    " AuditEvent and Provenance; _explain=true lists every decision",
                ),
                Operation(
                    "extend",
                    f"{_OPERATIONS_BASE}/Task-extend",
                    "POST: extend an ROI request's due date once by 30 days, with a reason",
                ),
            ),
        ),
        # Written by the server only: disclosure records and the provenance of releases.
        ResourceType(
            "AuditEvent",
            READ_ONLY_INTERACTIONS,
            "Disclosure records (IHE BALP PrivacyDisclosure), written by the server",
        ),
        ResourceType(
            "Provenance",
            READ_ONLY_INTERACTIONS,
            "Where release bundles came from, written by the server",
        ),
        # Release bundles are produced by $release; clients read them, never write them.
        ResourceType(
            "Bundle", READ_ONLY_INTERACTIONS, "Released record sets produced by Task/$release"
        ),
    )
}


def get_type(name: str) -> ResourceType | None:
    """Return the held type called ``name``, or None."""
    return HELD_TYPES.get(name)


@cache
def model_class(name: str) -> type[BaseModel]:
    """Return the fhir.resources R4B model for a resource or datatype name."""
    cls: type[BaseModel] = get_fhir_model_class(name)
    return cls
