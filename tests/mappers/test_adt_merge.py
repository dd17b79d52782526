"""ADT^A40/A34 (MRG) -> MappingResult.merges and the surviving Patient's link."""

from __future__ import annotations

import pytest

from mappers import MappingError
from mappers.identity import deterministic_id
from tests.mappers.messages import map_lines, msh, of_type, only, validate_all

SURVIVOR = deterministic_id("Patient", "urn:fhirport:id:hosp", "MRN1")
RETIRED = deterministic_id("Patient", "urn:fhirport:id:hosp", "MRN9")


@pytest.mark.parametrize("event", ["A40", "A34"])
def test_merge_names_survivor_and_retired(event: str) -> None:
    result = map_lines(
        msh(f"ADT^{event}"),
        "EVN|A40|20240301",
        "PID|1||MRN1^^^HOSP^MR||DOE^JANE",
        "MRG|MRN9^^^HOSP^MR",
    )
    validate_all(result)
    assert result.merges == [(SURVIVOR, RETIRED)]
    patient = only(result, "Patient")
    assert patient["id"] == SURVIVOR
    assert patient["link"] == [{"other": {"reference": f"Patient/{RETIRED}"}, "type": "replaces"}]


def test_several_pairs_in_one_message() -> None:
    result = map_lines(
        msh("ADT^A40^ADT_A39"),
        "PID|1||MRN1^^^HOSP^MR||DOE^JANE",
        "MRG|MRN9^^^HOSP^MR",
        "PID|1||MRN2^^^HOSP^MR||ROE^RICHARD",
        "MRG|MRN8^^^HOSP^MR",
    )
    assert len(result.merges) == 2
    assert len(of_type(result, "Patient")) == 2


def test_merge_into_itself_is_a_warning_not_a_merge() -> None:
    result = map_lines(msh("ADT^A40"), "PID|1||MRN1^^^HOSP^MR||DOE", "MRG|MRN1^^^HOSP^MR")
    assert result.merges == []
    assert result.warnings


@pytest.mark.parametrize(
    "mrg",
    [pytest.param(None, id="no-mrg"), pytest.param("MRG|", id="empty-mrg-1")],
)
def test_merge_without_prior_identifier_is_a_mapping_error(mrg: str | None) -> None:
    lines = [msh("ADT^A40"), "PID|1||MRN1^^^HOSP^MR||DOE"] + ([mrg] if mrg else [])
    with pytest.raises(MappingError, match="MRG"):
        map_lines(*lines)
