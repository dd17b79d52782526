"""Which value set binds each ``code`` element the models cannot check: fhirport's table.

``../shared/spec/fhir-r4`` has no StructureDefinitions, and fhir.resources' models keep
no binding either: their ``enum_values`` are the codes listed in each element's short
description, complete for most required bindings, abbreviated (``+``, ``etc.``) or absent
for the rest. This table classifies the rest, as the FHIR R4 (4.0.1) StructureDefinitions
bind them; the generator expands the codes from ``valuesets.json`` and refuses to run
while a held type reaches a ``code`` element that is in neither dictionary.

Keys are ``Model.element`` with the model named as fhir.resources names it (backbone
elements run their path together: ``AuditEventAgentNetwork``); an element every resource
inherits is keyed ``Resource.element``.
"""

from __future__ import annotations

from typing import Final

_VS = "http://hl7.org/fhir/ValueSet/"
_QUANTITY_COMPARATOR = f"{_VS}quantity-comparator"
_ALL_TYPES = f"{_VS}all-types"

# Required bindings whose codes the models lack or abbreviate.
REQUIRED: Final[dict[str, str]] = {
    "Task.status": f"{_VS}task-status",
    "Encounter.status": f"{_VS}encounter-status",
    "EncounterStatusHistory.status": f"{_VS}encounter-status",
    "AuditEvent.action": f"{_VS}audit-event-action",
    "AuditEvent.outcome": f"{_VS}audit-event-outcome",
    "AuditEventAgentNetwork.type": f"{_VS}network-type",
    "Quantity.comparator": _QUANTITY_COMPARATOR,
    "Age.comparator": _QUANTITY_COMPARATOR,
    "Count.comparator": _QUANTITY_COMPARATOR,
    "Distance.comparator": _QUANTITY_COMPARATOR,
    "Duration.comparator": _QUANTITY_COMPARATOR,
    "TimingRepeat.when": f"{_VS}event-timing",
    "DataRequirement.type": _ALL_TYPES,
    "ParameterDefinition.type": _ALL_TYPES,
}

_PREFERRED = "preferred binding (common-languages); all-languages is only its maximum"
_MEDIA_TYPE = "required, to BCP 13 media types: a grammar, not a list valuesets.json has"
_UNBOUND_CODE = "no binding: the code belongs to the system beside it"
_UNBOUND_VALUE = "no binding on an extension's or a task parameter's value"

# Elements whose codes are not checked against a list, and why. Where a model lists
# codes for one of them, the generated file clears that list.
NOT_CHECKED: Final[dict[str, str]] = {
    "Resource.language": _PREFERRED,
    "Attachment.language": _PREFERRED,
    "Expression.language": "extensible binding (expression-language): other languages pass",
    "Attachment.contentType": _MEDIA_TYPE,
    "Signature.sigFormat": _MEDIA_TYPE,
    "Signature.targetFormat": _MEDIA_TYPE,
    "Money.currency": "required, to ISO 4217 currencies, which valuesets.json does not list",
    "Coding.code": _UNBOUND_CODE,
    "Quantity.code": _UNBOUND_CODE,
    "Age.code": _UNBOUND_CODE,
    "Count.code": _UNBOUND_CODE,
    "Distance.code": _UNBOUND_CODE,
    "Duration.code": _UNBOUND_CODE,
    "ParameterDefinition.name": "no binding: the parameter's name, a code by its form only",
    "Extension.valueCode": _UNBOUND_VALUE,
    "TaskInput.valueCode": _UNBOUND_VALUE,
    "TaskOutput.valueCode": _UNBOUND_VALUE,
}
