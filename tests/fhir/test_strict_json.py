"""The strict JSON walk: each finding names where it is as a FHIRPath expression."""

from __future__ import annotations

from typing import Any

import pytest

from server.fhir.strict_json import strict_issues


def patient(**extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": "p1", "name": [{"family": "Doe"}], **extra}


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        pytest.param(patient(), [], id="valid"),
        pytest.param(patient(active="yes"), [("structure", "Patient.active")], id="json-type"),
        pytest.param(
            patient(gender="robot"), [("code-invalid", "Patient.gender")], id="required-binding"
        ),
        pytest.param(
            patient(name=[{"family": "Doe"}, {"given": ["Ann", 7]}]),
            [("structure", "Patient.name[1].given[1]")],
            id="nested-list",
        ),
        pytest.param(patient(birthDate=None), [("structure", "Patient.birthDate")], id="null"),
        pytest.param(
            patient(name={"family": "Doe"}), [("structure", "Patient.name")], id="not-an-array"
        ),
        pytest.param(patient(**{"$where": 1}), [("invalid", "Patient.$where")], id="operator"),
        pytest.param(
            patient(unknown={"a": [{"b": {"$gt": 1}}]}),
            [("invalid", "Patient.unknown.a[0].b")],
            id="operator-inside-unknown",
        ),
        pytest.param(
            patient(contained=[{"resourceType": "Basic", "id": "x"}]),
            [("not-supported", "Patient.contained[0]")],
            id="contained-type",
        ),
        pytest.param(
            patient(contained=[{"resourceType": "Organization", "id": "o", "active": 1}]),
            [("structure", "Patient.contained[0].active")],
            id="inside-contained",
        ),
        pytest.param(patient(id=".."), [("value", "Patient.id")], id="unreachable-id"),
        pytest.param(
            patient(contained=[{"resourceType": "Organization", "id": "o" * 65}]),
            [("value", "Patient.contained[0].id")],
            id="contained-id-too-long",
        ),
        pytest.param(
            patient(managingOrganization={"reference": "Organization/."}),
            [("value", "Patient.managingOrganization.reference")],
            id="reference-id",
        ),
        pytest.param(
            patient(
                generalPractitioner=[
                    {"reference": "Practitioner/p1/_history/2"},
                    {"reference": "https://other.example/fhir/Practitioner/p_1"},
                    {"reference": "urn:uuid:0b6a6c1e-2d7c-4c59-9c35-3f0f0a1f6e11"},
                    {"reference": "#c1"},
                    {"reference": "Practitioner/p1/_history/"},
                ]
            ),
            [("value", "Patient.generalPractitioner[4].reference")],
            id="reference-forms",
        ),
    ],
)
def test_findings_and_where_they_are(
    resource: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    issues = strict_issues(resource, "Patient")

    assert [(i.code, *i.expression) for i in issues] == expected
