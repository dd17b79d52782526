"""Write ``mappers/tables/v2-tables.json``: the valid codes of the HL7 tables vocabularies map.

    python -m mappers.tables.generate [SPEC_DIR]   # default ../shared/spec/fhir-r4

Copies from the FHIR R4 specification's HL7 v2 tables (``v2-tables.json``) only the
tables ``mappers.vocabulary.TABLES`` names: each table's code system (or, for a table the
specification keeps as a value set of another system, such as 0005 race, that system)
and its codes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from mappers.vocabulary import TABLES, TABLES_FILE

REPOSITORY = Path(__file__).resolve().parents[2]
DEFAULT_SPEC_DIR = REPOSITORY.parent / "shared" / "spec" / "fhir-r4"
SOURCE = "v2-tables.json"
_TERMINOLOGY = "http://terminology.hl7.org"


def _codes(concepts: Iterable[dict[str, Any]]) -> Iterator[str]:
    for concept in concepts:
        yield concept["code"]
        yield from _codes(concept.get("concept", ()))


def _table(by_url: dict[str, dict[str, Any]], table: str) -> dict[str, Any]:
    code_system = by_url.get(f"{_TERMINOLOGY}/CodeSystem/v2-{table}")
    if code_system is not None:
        return {
            "title": code_system.get("title", ""),
            "system": code_system["url"],
            "codes": sorted(set(_codes(code_system.get("concept", ())))),
        }
    value_set = by_url.get(f"{_TERMINOLOGY}/ValueSet/v2-{table}")
    if value_set is None:
        raise SystemExit(f"error: {SOURCE} has no table {table}")
    include = value_set["compose"]["include"][0]
    return {
        "title": value_set.get("title", ""),
        "system": include["system"],
        "codes": sorted(set(_codes(include.get("concept", ())))),
    }


def generate(spec_dir: Path) -> bytes:
    """The generated file's bytes."""
    bundle = orjson.loads((spec_dir / SOURCE).read_bytes())
    by_url = {e["resource"]["url"]: e["resource"] for e in bundle["entry"]}
    document = {
        "_generated": {
            "by": "python -m mappers.tables.generate",
            "from": f"FHIR R4 {SOURCE}",
        },
        "tables": {table: _table(by_url, table) for table in sorted(TABLES)},
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def main(argv: list[str]) -> int:
    """Write the file from the spec folder named by ``argv`` (default ``../shared``)."""
    spec_dir = Path(argv[0]) if argv else DEFAULT_SPEC_DIR
    try:
        TABLES_FILE.write_bytes(generate(spec_dir))
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {TABLES_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
