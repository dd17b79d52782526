"""The resource types this server holds: the one list routes, validation and metadata read.

Adding a type is an entry here; the FHIR semantics (structure, bindings, search
parameters) come from the specification's data, not from code per type. What the
server itself decides about a type (the element that dates its data for release
scoping, whether it is a record of the release workflow, where it comes in an HL7v2
message's writes, its operations) is declared on its entry, not in side tables.
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

    def capability(self) -> dict[str, str]:
        """The operation as a CapabilityStatement ``operation`` entry."""
        return {
            "name": self.name,
            "definition": self.definition,
            "documentation": self.documentation,
        }


@dataclass(frozen=True, slots=True)
class ResourceType:
    """One held resource type and the interactions the server offers on it."""

    name: str
    interactions: frozenset[Interaction] = ALL_INTERACTIONS
    documentation: str = ""
    operations: tuple[Operation, ...] = ()
    # The elements that date the type's data (the date of service, not when it was
    # stored), first present wins: a consent's dataPeriod and a release request's data
    # period are compared with it. Empty for undated types (Patient, directories).
    clinical_date: tuple[str, ...] = ()
    # The server's own records about releases (Task, AuditEvent, Provenance, Bundle):
    # never part of a patient's released records.
    workflow: bool = False
    # Whether a release of a patient's records may include the type: False for records
    # that name other patients by design (a Group lists its members), though in the
    # Patient compartment of each.
    released: bool = True
    # Where the type comes in an HL7v2 message's writes, lowest first, so that whatever
    # is referenced is written before what refers to it; None for types no mapper makes.
    hl7v2_write_rank: int | None = None

    @property
    def model(self) -> type[BaseModel]:
        return model_class(self.name)

    def supports(self, interaction: Interaction) -> bool:
        return interaction in self.interactions


_OPERATIONS_BASE = "https://fhirport.dev/fhir/OperationDefinition"
_BULK_DATA = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition"

HELD_TYPES: dict[str, ResourceType] = {
    t.name: t
    for t in (
        ResourceType(
            "Patient",
            documentation="Demographics and identifiers of people receiving care",
            operations=(
                Operation(
                    "export",
                    f"{_BULK_DATA}/patient-export",
                    "Bulk Data export of every patient's records (Prefer: respond-async;"
                    " _outputFormat, _since, _type): 202 and a status URL, then ndjson files",
                ),
                Operation(
                    "disclosures",
                    f"{_OPERATIONS_BASE}/Patient-disclosures",
                    "GET: the accounting of disclosures (45 CFR 164.528) of the last six years;"
                    " all=true includes the exempt ones",
                ),
                Operation(
                    "merge",
                    "http://hl7.org/fhir/OperationDefinition/Patient-merge",
                    "POST (R5 parameters source-patient, target-patient, result-patient,"
                    " preview): merge duplicates; every resource of the source moves to the"
                    " target, as for an HL7v2 ADT^A40",
                ),
                Operation(
                    "everything",
                    "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                    "GET on an instance or the type (_type, _since, _count): the patient,"
                    " its compartment and the practitioners, organizations and locations these"
                    " reference, as a searchset paged by next links to the end, without a cap",
                ),
                Operation(
                    "registration-check",
                    f"{_OPERATIONS_BASE}/Patient-registration-check",
                    "GET on an instance: an OperationOutcome of what registration lacks or has"
                    " wrong (name, birth date, gender, address, phone, MRN, active coverage,"
                    " consent to treatment), coded in"
                    " https://fhirport.dev/CodeSystem/registration-check",
                ),
                Operation(
                    "registration-worklist",
                    f"{_OPERATIONS_BASE}/Patient-registration-worklist",
                    "GET ?date=YYYY-MM-DD: a Parameters of the patients with appointments that"
                    " day whose registration check fails, each with its appointments and issues",
                ),
            ),
            hl7v2_write_rank=3,
        ),
        ResourceType(
            "Appointment",
            documentation="Scheduled, cancelled and completed visits",
            operations=(
                Operation(
                    "send-reminders",
                    f"{_OPERATIONS_BASE}/Appointment-send-reminders",
                    "POST (within, default 48h): a reminder Communication for each booked"
                    " Appointment starting in the window that has none yet, sent to the"
                    " patient's preferred contact; a Parameters of the counts",
                ),
                Operation(
                    "find",
                    f"{_OPERATIONS_BASE}/Appointment-find",
                    "GET or POST (start, end, practitioner, location, service-type, specialty,"
                    " patient, urgency, _count): proposed Appointments built from free Slots,"
                    " earliest first, as a searchset paged by next links; nothing is stored",
                ),
                Operation(
                    "hold",
                    f"{_OPERATIONS_BASE}/Appointment-hold",
                    "POST Parameters(appt-resource): hold a proposal's Slots for"
                    " --slot-hold-minutes; answers the pending Appointment with its hold id",
                ),
                Operation(
                    "book",
                    f"{_OPERATIONS_BASE}/Appointment-book",
                    "POST Parameters(appt-resource): book a proposal or a held one; 409 naming"
                    " the booking or hold that took its Slot meanwhile",
                ),
                Operation(
                    "no-show-worklist",
                    f"{_OPERATIONS_BASE}/Appointment-no-show-worklist",
                    "GET (_count): the Appointments still booked an hour after their end,"
                    " earliest first, as a searchset paged by next links",
                ),
            ),
            clinical_date=("start",),
            hl7v2_write_rank=7,
        ),
        ResourceType(
            "Encounter",
            documentation="Visits and stays (HL7v2 PV1/PV2): admissions, transfers, discharges",
            clinical_date=("period",),
            hl7v2_write_rank=6,
        ),
        ResourceType(
            "Coverage",
            documentation="Insurance that may pay for care",
            clinical_date=("period",),
            hl7v2_write_rank=5,
        ),
        ResourceType(
            "Consent",
            documentation="Consent to treatment and privacy decisions",
            clinical_date=("dateTime",),
            hl7v2_write_rank=9,
        ),
        ResourceType(
            "Claim",
            documentation="Billing claims with ICD-10 diagnoses and CPT/HCPCS items",
            operations=(
                Operation(
                    "scrub",
                    f"{_OPERATIONS_BASE}/Claim-scrub",
                    "POST a Claim (or POST on a stored one): an OperationOutcome with every edit"
                    " a payer would deny it for, each coded in"
                    " https://fhirport.dev/CodeSystem/claim-edit",
                ),
                Operation(
                    "scrub-worklist",
                    f"{_OPERATIONS_BASE}/Claim-scrub-worklist",
                    "GET: the stored claims whose scrub found an error-level edit (searchset)",
                ),
            ),
            clinical_date=("billablePeriod", "created"),
            hl7v2_write_rank=8,
        ),
        ResourceType(
            "Organization",
            documentation="Payers and provider organizations",
            hl7v2_write_rank=0,
        ),
        ResourceType("Practitioner", documentation="Clinicians and staff", hl7v2_write_rank=1),
        ResourceType("Location", documentation="Places where care is given", hl7v2_write_rank=2),
        ResourceType(
            "Group",
            documentation="Defined sets of patients (cohorts, panels) named by Bulk Data export",
            released=False,
            operations=(
                Operation(
                    "export",
                    f"{_BULK_DATA}/group-export",
                    "Bulk Data export of the records of the Group's member patients",
                ),
            ),
        ),
        ResourceType(
            "RelatedPerson",
            documentation="Next of kin, guarantors and subscribers",
            hl7v2_write_rank=4,
        ),
        ResourceType(
            "Schedule",
            documentation="Practitioners' and locations' bookable time; its overbook capacity",
            operations=(
                Operation(
                    "generate-slots",
                    f"{_OPERATIONS_BASE}/Schedule-generate-slots",
                    "POST Parameters (available-time, slot-minutes, start, end, exception,"
                    " service-type, timezone): the Schedule's free Slots, each made once",
                ),
            ),
            clinical_date=("planningHorizon",),
        ),
        ResourceType(
            "Slot",
            documentation="Free and busy intervals of a Schedule",
            clinical_date=("start",),
        ),
        ResourceType(
            "Communication",
            documentation="Messages sent to patients, such as appointment reminders",
            clinical_date=("sent",),
        ),
        ResourceType(
            "CoverageEligibilityRequest",
            documentation="Questions whether a coverage is in force for a date of service;"
            " a POST is answered with its CoverageEligibilityResponse, from the coverage on"
            " file (not the payer's live system), both stored",
            clinical_date=("servicedDate", "servicedPeriod", "created"),
        ),
        ResourceType(
            "CoverageEligibilityResponse",
            documentation="Answers to eligibility questions, from the coverage on file",
            clinical_date=("servicedDate", "servicedPeriod", "created"),
        ),
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
            clinical_date=("authoredOn",),
            workflow=True,
        ),
        # Written by the server only: disclosure records and the provenance of releases.
        ResourceType(
            "AuditEvent",
            READ_ONLY_INTERACTIONS,
            "Disclosure records (IHE BALP PrivacyDisclosure), written by the server",
            clinical_date=("recorded",),
            workflow=True,
        ),
        ResourceType(
            "Provenance",
            READ_ONLY_INTERACTIONS,
            "Where release bundles came from, written by the server",
            clinical_date=("recorded",),
            workflow=True,
        ),
        # Release bundles are produced by $release; clients read them, never write them.
        ResourceType(
            "Bundle",
            READ_ONLY_INTERACTIONS,
            "Released record sets produced by Task/$release",
            workflow=True,
        ),
    )
}

# Operations on the whole server (CapabilityStatement.rest.operation), not on a type.
SYSTEM_OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "meta",
        "http://hl7.org/fhir/OperationDefinition/Resource-meta",
        "GET or POST: the profiles, tags and security labels in use on every type",
    ),
    Operation(
        "export",
        f"{_BULK_DATA}/export",
        "Bulk Data export of every held type (Prefer: respond-async; _outputFormat, _since,"
        " _type): 202 and a status URL (GET: progress, then the manifest; DELETE: cancel)",
    ),
    Operation(
        "hl7v2-ingest",
        f"{_OPERATIONS_BASE}/hl7v2-ingest",
        "POST one or more HL7v2 ER7 messages (x-application/hl7-v2+er7, "
        "text/plain; MLLP-framed or FHS/BHS batches too); answers a batch-response Bundle "
        "with one entry per message (OperationOutcome, created/updated references)",
    ),
    Operation(
        "hl7v2-convert",
        f"{_OPERATIONS_BASE}/hl7v2-convert",
        "Dry run of $hl7v2-ingest: the transaction Bundle the messages "
        "would apply (PUT by deterministic id); nothing is stored",
    ),
    Operation(
        "hl7v2-query",
        f"{_OPERATIONS_BASE}/hl7v2-query",
        "POST one QRY^A19 or QBP^Q22; answers ADR^A19 or RSP^K22 in ER7 "
        "with only what the patient's consents permit; each answer is a disclosure record",
    ),
    Operation(
        "hl7v2-ledger",
        f"{_OPERATIONS_BASE}/hl7v2-ledger",
        "GET ?sender=MSH-3|MSH-4&control-id=MSH-10: what happened to one "
        "message (outcome, raw message, resources written, unmapped fields, warnings)",
    ),
    Operation(
        "hl7v2-ledger-summary",
        f"{_OPERATIONS_BASE}/hl7v2-ledger-summary",
        "GET ?days=N (1-90, default 7): the ledger's messages per UTC day and outcome "
        "(applied, duplicate, stale, rejected, failed), days without traffic included",
    ),
    Operation(
        "hl7v2-outbox",
        f"{_OPERATIONS_BASE}/hl7v2-outbox",
        "GET ?status=pending|sent|failed&destination=NAME&_count=N: the outbound HL7v2 "
        "feed's messages (destination, type, control id, attempts, last error or ACK), paged",
    ),
    Operation(
        "hl7v2-outbox-requeue",
        f"{_OPERATIONS_BASE}/hl7v2-outbox-requeue",
        "POST a Parameters of entry ids: the outbound feed's failed messages (dead letters) "
        "are sent again, in their place and with their control ids",
    ),
)


# Operations of every held type that offers their interaction (resource-operations.html),
# declared once: the CapabilityStatement lists them on each such type.
_R4_OPERATIONS = "http://hl7.org/fhir/OperationDefinition"
COMMON_OPERATIONS: tuple[tuple[Operation, Interaction], ...] = (
    (
        Operation(
            "meta",
            f"{_R4_OPERATIONS}/Resource-meta",
            "GET or POST on an instance or one of its versions (_history/vid): its meta; on the"
            " type (and the system): the profiles, tags and security labels in use",
        ),
        Interaction.READ,
    ),
    (
        Operation(
            "meta-add",
            f"{_R4_OPERATIONS}/Resource-meta-add",
            "POST Parameters(meta) on an instance: add profiles, tags and security labels;"
            " a new version when the sets change, nothing else changed",
        ),
        Interaction.UPDATE,
    ),
    (
        Operation(
            "meta-delete",
            f"{_R4_OPERATIONS}/Resource-meta-delete",
            "POST Parameters(meta) on an instance: remove profiles, tags and security labels"
            " (by system and code); a new version when the sets change",
        ),
        Interaction.UPDATE,
    ),
    (
        Operation(
            "validate",
            f"{_R4_OPERATIONS}/Resource-validate",
            "POST a resource or Parameters(resource, mode) on the type, or on an instance with"
            " mode create, update or delete: the write's checks (structure, required bindings,"
            " business rules, referential integrity), answered as an OperationOutcome; nothing"
            " is written",
        ),
        Interaction.CREATE,
    ),
)


def operations_of(held: ResourceType) -> tuple[Operation, ...]:
    """The type's own operations and the common ones it offers the interaction of."""
    common = (op for op, interaction in COMMON_OPERATIONS if held.supports(interaction))
    return (*held.operations, *common)


def get_type(name: str) -> ResourceType | None:
    """Return the held type called ``name``, or None."""
    return HELD_TYPES.get(name)


def hl7v2_write_order() -> dict[str, int]:
    """Each type an HL7v2 message may write, with its rank in the message's writes."""
    return {
        t.name: t.hl7v2_write_rank for t in HELD_TYPES.values() if t.hl7v2_write_rank is not None
    }


@cache
def model_class(name: str) -> type[BaseModel]:
    """Return the fhir.resources R4B model for a resource or datatype name."""
    cls: type[BaseModel] = get_fhir_model_class(name)
    return cls
