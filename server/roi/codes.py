"""The codes and URLs of the release-of-information workflow: its Task shape and audit trail.

fhirport's own code system types ROI Tasks and their inputs and outputs; the disclosure
AuditEvent uses the codes of the IHE Basic Audit Log Patterns (BALP) PrivacyDisclosure
pattern (DICOM event and role codes, ISO 21089 lifecycle events).
"""

from __future__ import annotations

from typing import Final

# Task.code, Task.input.type and Task.output.type.
TASK_TYPE: Final = "https://fhirport.dev/CodeSystem/task-type"
RELEASE_OF_INFORMATION: Final = "release-of-information"
AUTHORIZATION: Final = "authorization"  # input: valueReference to a Consent
RESOURCE_TYPE: Final = "resource-type"  # input: valueCode, repeatable
DATA_PERIOD: Final = "data-period"  # input: valuePeriod
INPUT_TYPES: Final = frozenset({AUTHORIZATION, RESOURCE_TYPE, DATA_PERIOD})
RELEASE: Final = "release"  # output: valueReference to the release Bundle
DISCLOSURE: Final = "disclosure"  # output: valueReference to the disclosure AuditEvent
RELEASED_COUNT: Final = "released-count"  # output: valueInteger
DENIED_COUNT: Final = "denied-count"  # output: valueInteger

# The one 30-day extension (45 CFR 164.524(b)(2)(iii)), recorded on the Task.
DUE_EXTENSION_URL: Final = "https://fhirport.dev/fhir/StructureDefinition/roi-due-extension"

# Roles given to the requester and the recipient when Consent actors are matched.
PARTICIPATION_TYPE: Final = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
RECIPIENT_ROLE: Final = "IRCP"  # information recipient
REQUESTER_ROLE: Final = "AUT"  # author (originator) of the request

# AuditEvent codes of the BALP PrivacyDisclosure (source) pattern.
DICOM: Final = "http://dicom.nema.org/resources/ontology/DCM"
EXPORT: Final = "110106"
SOURCE_ROLE: Final = "110153"
DESTINATION_ROLE: Final = "110152"
LIFECYCLE: Final = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle"
DISCLOSE: Final = "disclose"
ENTITY_TYPE: Final = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE: Final = "http://terminology.hl7.org/CodeSystem/object-role"
SOURCE_TYPE: Final = "http://terminology.hl7.org/CodeSystem/security-source-type"
PROVENANCE_PARTICIPANT: Final = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
URI_SYSTEM: Final = "urn:ietf:rfc:3986"
