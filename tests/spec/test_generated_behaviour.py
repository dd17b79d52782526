"""What the generated definitions change on the wire, on both stores.

The Patient compartment lists Task (``patient``, ``focus``), and the required bindings of
the datatypes the held types carry (Quantity.comparator, Timing.repeat.when,
DataRequirement.type) are checked; Expression.language's binding is extensible, so a
language outside its short list is accepted.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import FHIR_JSON, make_patient

pytestmark = pytest.mark.anyio

EXT = "https://fhirport.dev/fhir/StructureDefinition/test-value"


def with_value(**value: Any) -> dict[str, Any]:
    """A Patient carrying one extension whose value is ``value`` (valueX=...)."""
    return make_patient(extension=[{"url": EXT, **value}])


async def post(client: httpx.AsyncClient, resource: dict[str, Any]) -> httpx.Response:
    return await client.post(f"/fhir/{resource['resourceType']}", json=resource, headers=FHIR_JSON)


async def test_a_patients_tasks_are_in_the_patient_compartment(
    client: httpx.AsyncClient,
) -> None:
    patient = (await post(client, make_patient())).json()["id"]
    other = (await post(client, make_patient())).json()["id"]
    task = {"resourceType": "Task", "status": "requested", "intent": "order"}
    for_patient = await post(client, {**task, "for": {"reference": f"Patient/{patient}"}})
    about_patient = await post(client, {**task, "focus": {"reference": f"Patient/{patient}"}})
    await post(client, {**task, "for": {"reference": f"Patient/{other}"}})

    response = await client.get(f"/fhir/Patient/{patient}/Task")

    assert response.status_code == 200
    found = {e["resource"]["id"] for e in response.json().get("entry", [])}
    assert found == {for_patient.json()["id"], about_patient.json()["id"]}


@pytest.mark.parametrize(
    ("value", "where"),
    [
        pytest.param(
            {"valueQuantity": {"value": 5, "comparator": "~"}},
            "valueQuantity.comparator",
            id="quantity-comparator",
        ),
        pytest.param(
            {"valueAge": {"value": 5, "comparator": "=<"}},
            "valueAge.comparator",
            id="age-comparator",
        ),
        pytest.param(
            {"valueTiming": {"repeat": {"when": ["MORN", "teatime"]}}},
            "valueTiming.repeat.when[1]",
            id="event-timing",
        ),
        pytest.param(
            {"valueDataRequirement": {"type": "Spaceship"}},
            "valueDataRequirement.type",
            id="all-types",
        ),
    ],
)
async def test_a_code_outside_a_datatypes_required_binding_is_refused(
    client: httpx.AsyncClient, value: dict[str, Any], where: str
) -> None:
    response = await post(client, with_value(**value))

    assert response.status_code == 400
    issue = response.json()["issue"][0]
    assert issue["code"] == "code-invalid"
    assert issue["expression"] == [f"Patient.extension[0].{where}"]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"valueQuantity": {"value": 5, "comparator": "<="}}, id="quantity"),
        pytest.param({"valueTiming": {"repeat": {"when": ["MORN", "HS"]}}}, id="v3-timing"),
        pytest.param({"valueDataRequirement": {"type": "Observation"}}, id="resource-type"),
        pytest.param(
            {"valueExpression": {"language": "text/x-rule", "expression": "x"}},
            id="extensible-language",
        ),
    ],
)
async def test_a_code_inside_the_binding_is_accepted(
    client: httpx.AsyncClient, value: dict[str, Any]
) -> None:
    response = await post(client, with_value(**value))

    assert response.status_code == 201, response.text
