"""Validation verdicts remembered by content: what counts as the same, and how many are kept."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from hl7.er7 import Message
from mappers.config import MappingConfig
from mappers.result import MappingResult
from server.errors import InvalidResource
from server.hl7v2.ingest import prepare as ingest_prepare
from server.hl7v2.ingest.prepare import prepare
from server.hl7v2.ingest.verdicts import PassedValidation
from tests.ingest.factories import patient
from tests.ingest.messages import adt


def test_the_key_is_the_content_whatever_the_order_of_keys() -> None:
    first = {"resourceType": "Patient", "id": "p1", "active": True}
    second = {"active": True, "id": "p1", "resourceType": "Patient"}
    assert PassedValidation.key(first) == PassedValidation.key(second)
    assert PassedValidation.key(first) != PassedValidation.key({**first, "active": False})


def test_the_least_recently_used_is_dropped_first() -> None:
    passed = PassedValidation(limit=2)
    one, two, three = (PassedValidation.key({"n": n}) for n in (1, 2, 3))
    passed.add(one)
    passed.add(two)
    assert one in passed  # used: now two is the oldest
    passed.add(three)
    assert len(passed) == 2
    assert one in passed
    assert three in passed
    assert two not in passed


def test_only_passes_are_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same invalid content is refused every time; valid content is validated once."""
    mapped = {"good": patient("p1"), "bad": patient("p2", gender="sometimes")}

    def map_message(
        message: Message, config: MappingConfig, *, write_order: Mapping[str, int]
    ) -> MappingResult:
        result = MappingResult()
        result.add(mapped[message.control_id])
        return result

    validated: list[str] = []

    def validate_resource(resource: dict[str, object], expected_type: str) -> None:
        validated.append(str(resource["id"]))
        if resource.get("gender") == "sometimes":
            raise InvalidResource("gender: not a code")

    monkeypatch.setattr(ingest_prepare, "map_message", map_message)
    monkeypatch.setattr(ingest_prepare, "validate_resource", validate_resource)
    monkeypatch.setattr(ingest_prepare, "_PASSED", PassedValidation())
    for _ in range(2):
        good = prepare(adt("good"), MappingConfig(), validate=True)
        bad = prepare(adt("bad"), MappingConfig(), validate=True)
        assert good.validated
        assert good.failure is None
        assert not bad.validated
        assert bad.failure is not None
    assert validated == ["p1", "p2", "p2"]
