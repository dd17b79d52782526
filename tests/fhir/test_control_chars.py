"""C0 control characters in resources: refused by validation, removed (and located) on request."""

from __future__ import annotations

from typing import Any

import pytest

from server.errors import InvalidResource
from server.fhir.control_chars import strip_control_characters
from server.fhir.validation import validate_resource


@pytest.mark.parametrize(
    ("resource", "expression"),
    [
        pytest.param(
            {"resourceType": "Patient", "name": [{"family": "Do\x00e"}]},
            "Patient.name[0].family",
            id="value",
        ),
        pytest.param(
            {"resourceType": "Patient", "extension": [{"url": "x", "valueString": "\x1b[0m"}]},
            "Patient.extension[0].valueString",
            id="extension",
        ),
    ],
)
def test_resources_built_by_the_server_are_checked_too(
    resource: dict[str, Any], expression: str
) -> None:
    with pytest.raises(InvalidResource) as caught:
        validate_resource(resource, "Patient")

    assert [issue.expression for issue in caught.value.issues] == [(expression,)]


@pytest.mark.parametrize(
    ("resource", "cleaned", "where"),
    [
        pytest.param(
            {"resourceType": "Patient", "name": [{"family": "Do\x00e", "given": ["A\x1fnn"]}]},
            {"resourceType": "Patient", "name": [{"family": "Doe", "given": ["Ann"]}]},
            ["Patient.name[0].family", "Patient.name[0].given[0]"],
            id="inside-strings",
        ),
        pytest.param(
            {"resourceType": "Patient", "name": [{"given": ["\x01", "Ann"]}]},
            {"resourceType": "Patient", "name": [{"given": ["Ann"]}]},
            ["Patient.name[0].given[0]"],
            id="blank-list-item",
        ),
        pytest.param(
            {"resourceType": "Patient", "gender": "male", "name": [{"given": ["\x01 "]}]},
            {"resourceType": "Patient", "gender": "male"},
            ["Patient.name[0].given[0]"],
            id="emptied-containers",
        ),
        pytest.param(
            {"resourceType": "Patient", "name": [{"text": "a\tb\r\nc \\b"}], "name2": []},
            {"resourceType": "Patient", "name": [{"text": "a\tb\r\nc \\b"}], "name2": []},
            [],
            id="nothing-to-remove",
        ),
    ],
)
def test_stripping_removes_them_and_what_they_leave_empty(
    resource: dict[str, Any], cleaned: dict[str, Any], where: list[str]
) -> None:
    assert strip_control_characters(resource) == where
    assert resource == cleaned
