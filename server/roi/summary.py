"""The answer of ``$release``: a Parameters resource summarizing what happened and why.

``outcome`` (released | rejected), the Task, the records written, the released and
withheld counts, withheld counts by the rule that decided them, and with ``_explain`` one
``decision`` per resource: the resource, permit/deny, the basis, the reason, and the
Consent and provision that decided.
"""

from __future__ import annotations

from typing import Any

from server.consent import Decision
from server.roi.release import ReleaseOutcome


def release_parameters(outcome: ReleaseOutcome) -> dict[str, Any]:
    """The Parameters answering a ``$release``."""
    selection = outcome.selection
    task = outcome.task
    parameters: list[dict[str, Any]] = [
        {"name": "outcome", "valueCode": "released" if outcome.records else "rejected"},
        _reference("task", f"Task/{task.id}"),
        *(_reference(name, ref) for name, ref in outcome.records.items()),
        {"name": "released", "valueInteger": selection.released_total},
        {"name": "denied", "valueInteger": selection.denied_total},
    ]
    if selection.denied:
        parameters.append(
            {
                "name": "denied-by",
                "part": [
                    {"name": str(basis), "valueInteger": n}
                    for basis, n in sorted(selection.denied.items())
                ],
            }
        )
    parameters.extend(_decision(d) for d in selection.decisions)
    return {"resourceType": "Parameters", "parameter": parameters}


def _reference(name: str, reference: str) -> dict[str, Any]:
    return {"name": name, "valueReference": {"reference": reference}}


def _decision(decision: Decision) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [
        _reference("resource", f"{decision.resource_type}/{decision.resource_id}"),
        {"name": "effect", "valueCode": str(decision.effect)},
        {"name": "basis", "valueCode": str(decision.basis)},
        {"name": "reason", "valueString": decision.reason},
    ]
    if decision.consent_id is not None:
        parts.append(_reference("consent", f"Consent/{decision.consent_id}"))
    if decision.provision is not None:
        parts.append({"name": "provision", "valueString": decision.provision})
    parts.extend(
        {"name": "add-security", "valueCoding": label.to_fhir()} for label in decision.add_security
    )
    return {"name": "decision", "part": parts}
