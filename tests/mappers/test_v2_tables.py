"""The HL7 table codes vocabularies check against are what the generator copies today.

May skip: the FHIR R4 HL7 v2 tables live in ``../shared``, beside the repository.
"""

from __future__ import annotations

import pytest

from mappers.tables.generate import DEFAULT_SPEC_DIR, SOURCE, generate
from mappers.vocabulary import TABLES, TABLES_FILE, table_codes


def test_the_committed_tables_are_what_the_generator_writes() -> None:
    if not (DEFAULT_SPEC_DIR / SOURCE).is_file():
        pytest.skip(f"{DEFAULT_SPEC_DIR / SOURCE} is absent: nothing to regenerate from")

    assert TABLES_FILE.read_bytes() == generate(DEFAULT_SPEC_DIR), (
        "mappers/tables/v2-tables.json is stale: run python -m mappers.tables.generate"
    )


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_table_a_vocabulary_may_map_has_codes(table: str) -> None:
    codes = table_codes(table)

    assert codes.system.startswith("http://terminology.hl7.org/CodeSystem/")
    assert codes.codes


def test_table_codes_match_case_insensitively_and_give_the_tables_spelling() -> None:
    assert table_codes("0278").standard("BOOKED") == "Booked"
    assert table_codes("0001").standard("m") == "M"
    assert table_codes("0001").standard("1") is None
