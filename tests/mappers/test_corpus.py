"""Every public sample message maps (and every resource validates) or is rejected as
out of scope: never another exception."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hl7.er7 import parse
from mappers import MappingConfig, UnsupportedMessage, map_message
from server.registry import hl7v2_write_order
from tests.corpus import CORPUS
from tests.mappers.messages import validate_all

FILES = sorted(CORPUS.glob("*.hl7"))
# What fhirport maps, independently of the dispatch table.
IN_SCOPE = {
    "ADT": {"A01", "A04", "A05", "A08", "A28", "A31", "A34", "A40"}
    # visits (Encounter)
    | {"A02", "A03", "A06", "A07", "A11", "A12", "A13", "A16", "A17", "A21", "A22"}
    | {"A25", "A26", "A27", "A38"},
    "SIU": {"S12", "S13", "S14", "S15", "S16", "S17", "S26"},
    "DFT": {"P03", "P11"},
}


def test_the_corpus_is_there() -> None:
    assert len(FILES) == 97  # beside them, the corpus's LICENSE and README


def _in_scope(code: str, event: str, has_con: bool, has_pid: bool) -> bool:
    # Every ADT event with a PID applies its patient part.
    return (
        event in IN_SCOPE.get(code, set())
        or (code == "MDM" and has_con)
        or (code == "ADT" and has_pid)
    )


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_corpus_message_maps_or_is_rejected_as_out_of_scope(path: Path) -> None:
    message = parse(path.read_bytes())
    has_con = message.segment("CON") is not None
    has_pid = message.segment("PID") is not None
    expected = _in_scope(message.message_code, message.trigger_event, has_con, has_pid)
    if not expected:
        with pytest.raises(UnsupportedMessage, match=message.trigger_event):
            map_message(message, MappingConfig(), write_order=hl7v2_write_order())
        return
    result = map_message(message, MappingConfig(), write_order=hl7v2_write_order())
    assert result.resources
    validate_all(result)
    ids = [(m.resource["resourceType"], m.resource["id"]) for m in result.resources]
    assert len(ids) == len(set(ids)), "a resource was emitted twice"
    assert result.event_time is not None
    _assert_referenced_first([m.resource for m in result.resources])


def _assert_referenced_first(resources: list[dict[str, Any]]) -> None:
    """Every reference to a resource of the same result points backwards (or to itself)."""
    emitted = {f"{r['resourceType']}/{r['id']}" for r in resources}
    seen: set[str] = set()
    for resource in resources:
        own = f"{resource['resourceType']}/{resource['id']}"
        seen.add(own)
        for reference in _references(resource):
            if reference in emitted:
                assert reference in seen, f"{own} refers to {reference} before it is emitted"


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for value in node.values() for r in _references(value)]
    if isinstance(node, list):
        return [r for item in node for r in _references(item)]
    return []
