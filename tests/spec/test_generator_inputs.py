"""What the generator makes of small definition files it is given, and what it refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from server.spec import bindings
from server.spec.sources import VALUE_SETS, SpecDir, SpecError
from server.spec.value_sets import ValueSets

SYSTEM = "http://example.org/CodeSystem/colour"


def spec_with(tmp_path: Path, *resources: dict[str, Any]) -> SpecDir:
    """A spec folder whose valuesets.json holds ``resources``."""
    bundle = {"resourceType": "Bundle", "entry": [{"resource": r} for r in resources]}
    (tmp_path / VALUE_SETS).write_bytes(orjson.dumps(bundle))
    (tmp_path / "version.info").write_text("[FHIR]\nversion=4.0.1\n")
    return SpecDir(tmp_path)


def value_set(url: str, *includes: dict[str, Any], **compose: Any) -> dict[str, Any]:
    return {"resourceType": "ValueSet", "url": url, "compose": {"include": includes, **compose}}


COLOURS = {
    "resourceType": "CodeSystem",
    "url": SYSTEM,
    "content": "complete",
    "concept": [{"code": "red", "concept": [{"code": "crimson"}]}, {"code": "blue"}],
}


def test_a_value_set_expands_nested_concepts_and_other_value_sets_in_order(
    tmp_path: Path,
) -> None:
    spec = spec_with(
        tmp_path,
        COLOURS,
        value_set("urn:vs:colour", {"system": SYSTEM}),
        value_set(
            "urn:vs:more",
            {"valueSet": ["urn:vs:colour|4.0.1"]},
            {"system": "urn:other", "concept": [{"code": "green"}, {"code": "red"}]},
        ),
    )

    assert ValueSets(spec).codes("urn:vs:more") == ["red", "crimson", "blue", "green"]


@pytest.mark.parametrize(
    ("include", "compose", "reason"),
    [
        pytest.param({"system": "urn:iso:std:iso:4217"}, {}, "does not list", id="external"),
        pytest.param(
            {"system": SYSTEM, "filter": [{"property": "concept", "op": "is-a", "value": "red"}]},
            {},
            "filter",
            id="filter",
        ),
        pytest.param(
            {"system": SYSTEM}, {"exclude": [{"system": SYSTEM}]}, "excludes", id="exclude"
        ),
    ],
)
def test_a_value_set_the_file_cannot_expand_is_refused(
    tmp_path: Path, include: dict[str, Any], compose: dict[str, Any], reason: str
) -> None:
    spec = spec_with(tmp_path, COLOURS, value_set("urn:vs:x", include, **compose))

    with pytest.raises(SpecError, match=reason):
        ValueSets(spec).codes("urn:vs:x")


def test_a_held_type_with_an_unclassified_code_element_stops_the_generator(
    tmp_path: Path,
) -> None:
    # Observation.status is a required binding its model lists as "... | amended +".
    with pytest.raises(SpecError, match=r"binding_sources\.py .*: Observation\.status$"):
        bindings.generate(spec_with(tmp_path), ["Observation"])
