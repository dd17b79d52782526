"""Messages outside fhirport's scope (ORU, VXU, MDM without CON): kept raw, counted apart,
not errors, acknowledged as ``--out-of-scope`` says (AR with the reason by default)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from server.cli import main
from server.hl7v2.ingest.model import Outcome
from server.hl7v2.ingest.service import Ingestor
from server.storage.port import Store
from tests.ingest.factories import service_on
from tests.ingest.messages import adt, unsupported

pytestmark = pytest.mark.anyio

MDM_WITHOUT_CON = (
    b"MSH|^~\\&|DOCS|NORTH|FHIRPORT|HOSP|20240105083000||MDM^T02^MDM_T02|D1|P|2.5.1\r"
    b"EVN|T02|20240105083000\r"
    b"PID|1||MRN1^^^NORTH^MR||Doe^Ann\r"
    b"TXA|1|CN|TX\r"
)


async def test_an_out_of_scope_message_is_kept_raw_and_rejected_by_default(store: Store) -> None:
    outcome = await Ingestor(service_on(store)).ingest(unsupported("O1"))

    assert outcome.outcome is Outcome.OUT_OF_SCOPE
    assert outcome.ack_code == "AR"
    assert b"MSA|AR|O1" in outcome.ack
    assert b"ORU^R01 messages are not mapped" in outcome.ack.replace(b"\\S\\", b"^")
    entry = await store.ledger_get("LAB|NORTH", "O1")
    assert entry is not None
    assert entry.outcome == "out-of-scope"
    assert entry.raw == unsupported("O1")


async def test_out_of_scope_ack_mode_answers_aa(store: Store) -> None:
    ingestor = Ingestor(service_on(store), out_of_scope="ack")

    outcome = await ingestor.ingest(MDM_WITHOUT_CON)

    assert outcome.outcome is Outcome.OUT_OF_SCOPE
    assert outcome.ack_code == "AA"
    assert b"MSA|AA|D1" in outcome.ack
    assert b"ERR|" not in outcome.ack
    entry = await store.ledger_get("DOCS|NORTH", "D1")
    assert entry is not None
    assert entry.outcome == "out-of-scope"


def _import(tmp_path: Path, *extra: str) -> tuple[int, dict[str, object], Path]:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "mixed.hl7").write_bytes(
        b"\r".join([adt("OK1"), unsupported("NO1"), MDM_WITHOUT_CON])
    )
    report = tmp_path / "report.json"
    dead = tmp_path / "dead"
    result = CliRunner().invoke(
        main,
        [
            "hl7", "import", str(folder), "--no-progress",
            "--store", f"sqlite:///{tmp_path / 'oos.sqlite3'}",
            "--report", str(report), "--dead-letter", str(dead), *extra,
        ],
    )  # fmt: skip
    return result.exit_code, orjson.loads(report.read_bytes()), dead


@pytest.mark.parametrize(
    ("options", "ack"),
    [
        pytest.param((), "AR", id="default-reject"),
        pytest.param(("--out-of-scope", "ack"), "AA", id="ack"),
    ],
)
def test_import_counts_out_of_scope_apart_and_exits_zero(
    tmp_path: Path, options: tuple[str, ...], ack: str
) -> None:
    exit_code, report, dead = _import(tmp_path, *options)

    assert exit_code == 0
    messages = report["messages"]
    assert isinstance(messages, list)
    assert [m["outcome"] for m in messages] == ["applied", "out-of-scope", "out-of-scope"]
    assert [m["ack_code"] for m in messages] == ["AA", ack, ack]
    totals = report["totals"]
    assert isinstance(totals, dict)
    assert totals["out_of_scope"] == 2
    assert totals["by_outcome"] == {"applied": 1, "out-of-scope": 2}
    assert not dead.exists() or not any(dead.iterdir())
