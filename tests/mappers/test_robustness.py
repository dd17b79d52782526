"""Garbled input never breaks a mapper: it maps (valid resources) or raises MappingError."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hl7.er7 import parse
from mappers import MappingConfig, MappingError, map_message
from server.registry import hl7v2_write_order
from tests.mappers.messages import validate_all

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.hl7"))
SAMPLES = [p.read_text(encoding="utf-8").replace("\n", "\r").strip() for p in GOLDEN]
# What matters to ER7 and to the value parsers: delimiters, signs, digits, odd spacing.
ODD_TEXT = st.text(alphabet='^&~\\"0123456789+-.:eNaIfZ é\t', max_size=16)
ODD_VALUES = st.sampled_from(
    ['""', "NaN", "1e400", "99999999999", "-5", "0", " A  B ", "20241301", "2024022925", "é"]
)


@st.composite
def garbled(draw: st.DrawFn) -> str:
    """A golden message with a few components (never in MSH) replaced by odd values."""
    segments = [s.split("|") for s in draw(st.sampled_from(SAMPLES)).split("\r")]
    for _ in range(draw(st.integers(1, 8))):
        fields = segments[draw(st.integers(1, len(segments) - 1))]
        column = draw(st.integers(1, len(fields) + 2))
        fields.extend([""] * (column + 1 - len(fields)))
        components = fields[column].split("^")
        index = draw(st.integers(0, len(components)))
        components.extend([""] * (index + 1 - len(components)))
        components[index] = draw(st.one_of(ODD_TEXT, ODD_VALUES))
        fields[column] = "^".join(components)
    return "\r".join("|".join(fields) for fields in segments)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(garbled())
def test_garbled_messages_map_or_fail_cleanly(text: str) -> None:
    try:
        result = map_message(parse(text), MappingConfig(), write_order=hl7v2_write_order())
    except MappingError:
        return
    validate_all(result)
