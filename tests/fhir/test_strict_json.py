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
    ],
)
def test_findings_and_where_they_are(
    resource: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    issues = strict_issues(resource, "Patient")

    assert [(i.code, *i.expression) for i in issues] == expected
