"""Vocabulary gaps: the import report lists each local code no map covers (table, code,
count, first message), ``fhirport hl7 vocab-gaps`` prints them to fill in, and a
``--vocab`` file (YAML or JSON, for the importer and the server alike) closes them."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from server.cli import main
from server.runtime import open_runtime
from server.settings import Settings

LOCAL = "https://fhirport.dev/fhir/CodeSystem/v2-local/LEGACY/NORTH"


def registration(control_id: str, mrn: str, sex: str, marital: str = "") -> bytes:
    return (
        f"MSH|^~\\&|LEGACY|NORTH|FHIRPORT|HOSP|20240105083000||ADT^A04^ADT_A01|{control_id}|P|2.5.1\r"
        "EVN|A04|20240105083000\r"
        f"PID|1||{mrn}^^^NORTH^MR||Doe^Ann||19800214|{sex}||||||||{marital}\r"
    ).encode()


VOCAB_YAML = """\
# LEGACY at NORTH writes sex as numbers and marital status in words.
senders:
  - application: LEGACY
    facility: NORTH
    tables:
      0001: {1: M, 2: F, 9: U}
      "0002": {MARRIED: M, SINGLE: S}
"""


def _import(tmp_path: Path, name: str, *extra: str) -> tuple[int, str, Path]:
    folder = tmp_path / "in"
    if not folder.exists():
        folder.mkdir()
        (folder / "adt.hl7").write_bytes(
            b"\r".join(
                [
                    registration("V1", "M1", "1"),
                    registration("V2", "M2", "1", "MARRIED"),
                    registration("V3", "M3", "F"),
                ]
            )
        )
    report = tmp_path / f"{name}.json"
    result = CliRunner().invoke(
        main,
        [
            "hl7", "import", str(folder), "--no-progress",
            "--store", f"sqlite:///{tmp_path / name}.sqlite3", "--report", str(report), *extra,
        ],
    )  # fmt: skip
    return result.exit_code, result.output, report


def test_the_report_lists_each_gap_with_its_count_and_first_message(tmp_path: Path) -> None:
    exit_code, output, report = _import(tmp_path, "plain")

    assert exit_code == 0, output
    gaps = orjson.loads(report.read_bytes())["vocabulary_gaps"]
    assert gaps == [
        {
            "sender": "LEGACY|NORTH",
            "table": "0001",
            "code": "1",
            "count": 2,
            "first_message": {
                "file": str(tmp_path / "in" / "adt.hl7"),
                "index": 0,
                "control_id": "V1",
            },
            "system": f"{LOCAL}/0001",
        },
        {
            "sender": "LEGACY|NORTH",
            "table": "0002",
            "code": "MARRIED",
            "count": 1,
            "first_message": {
                "file": str(tmp_path / "in" / "adt.hl7"),
                "index": 1,
                "control_id": "V2",
            },
            "system": f"{LOCAL}/0002",
        },
    ]

    shown = CliRunner().invoke(main, ["hl7", "vocab-gaps", str(report)])

    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0].split() == [
        "sender", "table", "code", "count", "first", "message", "standard", "code", "(fill", "in)"
    ]  # fmt: skip
    assert lines[2].split()[:4] == ["LEGACY|NORTH", "0001", "1", "2"]
    assert "V1" in lines[2]
    assert lines[3].split()[:4] == ["LEGACY|NORTH", "0002", "MARRIED", "1"]


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_vocab_file_closes_the_gaps(tmp_path: Path, suffix: str) -> None:
    vocab = tmp_path / f"vocab{suffix}"
    if suffix == ".json":
        document = {
            "senders": [
                {
                    "application": "LEGACY",
                    "facility": "NORTH",
                    "tables": {"0001": {"1": "M"}, "0002": {"MARRIED": "M"}},
                }
            ]
        }
        vocab.write_bytes(orjson.dumps(document))
    else:
        vocab.write_text(VOCAB_YAML)

    exit_code, output, report = _import(tmp_path, "mapped", "--vocab", str(vocab))

    assert exit_code == 0, output
    assert orjson.loads(report.read_bytes())["vocabulary_gaps"] == []


def test_the_environment_names_the_vocab_file_too(tmp_path: Path) -> None:
    vocab = tmp_path / "vocab.yaml"
    vocab.write_text(VOCAB_YAML)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "adt.hl7").write_bytes(registration("V1", "M1", "2"))
    report = tmp_path / "env.json"

    result = CliRunner().invoke(
        main,
        [
            "hl7", "import", str(folder), "--no-progress",
            "--store", f"sqlite:///{tmp_path / 'env.sqlite3'}", "--report", str(report),
        ],
        env={"FHIRPORT_HL7_VOCAB": str(vocab)},
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert orjson.loads(report.read_bytes())["vocabulary_gaps"] == []


def test_a_wrong_vocab_file_is_refused_before_any_work(tmp_path: Path) -> None:
    vocab = tmp_path / "vocab.yaml"
    vocab.write_text('senders:\n  - application: LEGACY\n    tables: {"0001": {"1": MALE}}\n')

    exit_code, output, report = _import(tmp_path, "wrong", "--vocab", str(vocab))

    assert exit_code == 2
    assert "'MALE' is not a code of HL7 table 0001" in output
    assert not report.exists()


@pytest.mark.anyio
async def test_the_server_reads_the_same_vocab_file(tmp_path: Path) -> None:
    vocab = tmp_path / "vocab.yaml"
    vocab.write_text(VOCAB_YAML)
    settings = Settings(store=f"sqlite:///{tmp_path / 'serve.sqlite3'}", hl7_vocab=vocab)

    async with open_runtime(settings) as runtime:
        outcome = await runtime.ingestor.ingest(registration("S1", "M9", "2", "SINGLE"))
        written = outcome.written[0]
        stored = await runtime.store.read("Patient", written.reference.split("/")[1])

    assert stored is not None
    assert stored.body is not None
    patient = orjson.loads(stored.body)
    assert patient["gender"] == "female"
    assert patient["maritalStatus"]["coding"][0]["code"] == "S"
    assert patient["maritalStatus"]["coding"][1] == {"system": f"{LOCAL}/0002", "code": "SINGLE"}


@pytest.mark.anyio
async def test_the_kept_original_sex_goes_when_a_later_message_sends_a_table_code(
    tmp_path: Path,
) -> None:
    settings = Settings(store=f"sqlite:///{tmp_path / 'later.sqlite3'}")

    async with open_runtime(settings) as runtime:
        first = await runtime.ingestor.ingest(registration("L1", "M7", "1"))
        patient_id = first.written[0].reference.split("/")[1]
        kept = await runtime.store.read("Patient", patient_id)
        update = registration("L2", "M7", "F").replace(b"A04|2024010508", b"A08|2024010609")
        await runtime.ingestor.ingest(update.replace(b"ADT^A04", b"ADT^A08"))
        later = await runtime.store.read("Patient", patient_id)

    assert kept is not None
    assert kept.body is not None
    assert "gender" not in orjson.loads(kept.body)
    assert orjson.loads(kept.body)["_gender"]["extension"][0]["valueCoding"]["code"] == "1"
    assert later is not None
    assert later.body is not None
    assert orjson.loads(later.body)["gender"] == "female"
    assert "_gender" not in orjson.loads(later.body)
