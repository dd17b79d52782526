"""Golden files: each ``golden/NAME.hl7`` must map to exactly ``golden/NAME.json``.

The JSON holds every mapped resource with its action, the merges, the unmapped list
and the warnings. After an intended mapping change, regenerate with
``FHIRPORT_REGENERATE_GOLDEN=1 pytest tests/mappers/test_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from hl7.er7 import parse
from mappers import MappingConfig, MappingResult, map_message
from server.registry import hl7v2_write_order
from tests.mappers.messages import validate_all

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(GOLDEN.glob("*.hl7"))
CONFIG = MappingConfig(
    authority_systems={
        "GOODHEALTH^MR": "https://goodhealth.example.org/id/mrn",
        "GOODHEALTH^AN": "https://goodhealth.example.org/id/account",
    },
    timezone="America/Chicago",
)


def as_document(result: MappingResult) -> dict[str, Any]:
    """Return the comparable content of a mapping result."""
    return {
        "resources": [
            {"action": str(m.action), "key": m.business_key, "resource": m.resource}
            for m in result.resources
        ],
        "merges": [list(pair) for pair in result.merges],
        "unmapped": result.unmapped,
        "warnings": result.warnings,
        "event_time": result.event_time,
    }


@pytest.mark.parametrize("source", CASES, ids=[p.stem for p in CASES])
def test_message_maps_to_its_golden_json(source: Path) -> None:
    result = map_message(parse(source.read_bytes()), CONFIG, write_order=hl7v2_write_order())
    validate_all(result)
    document = as_document(result)
    expected_path = source.with_suffix(".json")
    if os.environ.get("FHIRPORT_REGENERATE_GOLDEN"):
        options = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
        expected_path.write_bytes(orjson.dumps(document, option=options) + b"\n")
    assert document == orjson.loads(expected_path.read_bytes())
