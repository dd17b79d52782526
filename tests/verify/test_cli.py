"""``fhirport hl7 verify PATH... --store URL [--report FILE]``: exit status 0, 1 or 2."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
from click.testing import CliRunner

from server.cli import main
from server.hl7v2.ingest.importer import opened_store
from tests.ingest.messages import ARCHIVE, adt
from tests.verify.stored import write_without_provenance
from tests.verify.test_verify import MRN1


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["hl7", *arguments])
    return result.exit_code, result.output


def imported(tmp_path: Path, source: Path) -> str:
    store = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    status, output = run("import", str(source), "--store", store, "--no-progress")
    assert status == 0, output
    return store


def test_a_clean_import_verifies_with_status_0_and_a_report(tmp_path: Path) -> None:
    store = imported(tmp_path, ARCHIVE)
    report = tmp_path / "verify.json"

    status, output = run("verify", str(ARCHIVE), "--store", store, "--report", str(report))

    assert status == 0, output
    assert "0 unexplained" in output
    document = orjson.loads(report.read_bytes())
    assert set(document) >= {"totals", "by_message_type", "mismatches", "explained", "patients"}
    assert document["totals"]["verified"] == 212
    assert document["mismatches"] == []


async def _tamper(store: str) -> None:
    async with opened_store(store) as opened:
        await write_without_provenance(opened, "Patient", MRN1, birthDate="1990-01-01")


def test_an_unexplained_mismatch_exits_1_naming_the_message_and_field(tmp_path: Path) -> None:
    source = tmp_path / "in.hl7"
    source.write_bytes(adt("M1", event="A04"))
    store = imported(tmp_path, source)
    asyncio.run(_tamper(store))

    status, output = run("verify", str(source), "--store", store, "--workers", "1")

    assert status == 1, output
    assert "MISMATCH ADT^A04 M1" in output
    assert "PID-7" in output


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'none.sqlite3'}"

    assert run("verify", str(tmp_path / "missing.hl7"), "--store", store)[0] == 2
    assert run("verify", str(ARCHIVE), "--store", store)[0] == 2  # no such store file
    assert run("verify", "--store", store)[0] == 2
    assert run("verify", str(ARCHIVE), "--store", "memory://")[0] == 2
