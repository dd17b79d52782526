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
class ResourceType:
    """One held resource type and the interactions the server offers on it."""

    name: str
    interactions: frozenset[Interaction] = ALL_INTERACTIONS
    documentation: str = ""

    @property
    def model(self) -> type[BaseModel]:
        return model_class(self.name)

    def supports(self, interaction: Interaction) -> bool:
        return interaction in self.interactions


HELD_TYPES: dict[str, ResourceType] = {
    t.name: t
    for t in (
        ResourceType(
            "Patient", documentation="Demographics and identifiers of people receiving care"
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
