"""``fhirport hl7 import`` on the legacy archive: idempotent, resumable, reported, dead-lettered."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from server.cli import main
from server.gc_settle import settled
from server.hl7v2.ingest import importer
from server.hl7v2.ingest.importer import Importer, ImportOptions, NoInput, expand_paths, run_import
from server.hl7v2.ingest.provenance import content_of
from server.hl7v2.ingest.report import ImportReport
from server.hl7v2.ingest.service import Ingestor
from server.storage.factory import store_from_url
from server.storage.port import HistoryQuery, Store
from tests.ingest.factories import service_on
from tests.ingest.messages import ARCHIVE, adt, unsupported, without_pid

pytestmark = pytest.mark.anyio
ARCHIVE_MESSAGES = 214


Snapshot = dict[str, tuple[int, bool, Any]]


async def snapshot(store: Store) -> Snapshot:
    """Every current resource: version, deleted, and content (meta's server fields aside)."""
    page = await store.history(HistoryQuery(None, None, None, 100_000, None))
    current: Snapshot = {}
    for version in page.versions:
        key = f"{version.resource_type}/{version.id}"
        if key in current:
            continue  # newest first: the first seen is the current version
        body = content_of(orjson.loads(version.body)) if version.body else None
        current[key] = (version.version, version.deleted, body)
    return current


async def run(store: Store, files: list[Path], *, dry_run: bool = False) -> ImportReport:
    return await Importer(Ingestor(service_on(store)), ImportOptions(dry_run=dry_run)).run(files)


async def test_importing_the_archive_twice_changes_nothing(store: Store) -> None:
    files = expand_paths([str(ARCHIVE)])

    first = await run(store, files)
    before = await snapshot(store)
    second = await run(store, files)

    totals = first.totals()
    assert totals["messages"] == ARCHIVE_MESSAGES
    assert sum(totals["by_outcome"].values()) == ARCHIVE_MESSAGES
    assert totals["by_outcome"]["duplicate"] == 1  # the resend in adt-updates.hl7
    assert totals["by_outcome"]["stale"] == 1  # the late, older A08
    assert totals["by_message_type"]["ADT^A40"] == {"applied": 1}
    assert sum(sum(v.values()) for v in totals["by_message_type"].values()) == ARCHIVE_MESSAGES
    assert second.totals()["by_outcome"].get("applied", 0) == 0
    accepted = sum(n for k, n in totals["by_outcome"].items() if k not in ("rejected", "failed"))
    assert second.totals()["by_outcome"]["duplicate"] == accepted
    assert await snapshot(store) == before
    assert sum(1 for key in before if key.startswith("Appointment/")) == 36


async def test_a_run_killed_half_way_resumes_without_loss_or_repeats(
    tmp_path: Path, store: Store
) -> None:
    files = expand_paths([str(ARCHIVE)])
    reference = store_from_url(f"sqlite:///{tmp_path / 'reference.sqlite3'}")
    await reference.open()
    try:
        await run(reference, files)
        expected = await snapshot(reference)
    finally:
        await reference.close()

    half = files[: len(files) // 2]
    interrupted = await run(store, half)
    resumed = await run(store, files)

    applied_before = {
        (m["file"], m["index"]) for m in interrupted.messages if m["ack_code"] == "AA"
    }
    for message in resumed.messages:
        if (message["file"], message["index"]) in applied_before:
            assert message["outcome"] == "duplicate", message
    assert await snapshot(store) == expected


async def test_dry_run_writes_nothing(store: Store) -> None:
    files = expand_paths([str(ARCHIVE / "adt-registrations.hl7")])

    report = await run(store, files, dry_run=True)

    assert report.totals()["by_outcome"] == {"applied": 36}
    assert await snapshot(store) == {}
    assert await store.ledger_get("LEGACYEHR|NORTHCLINIC", "LEG000001") is None


def write_mixed(folder: Path) -> Path:
    folder.mkdir()
    path = folder / "mixed.hl7"
    messages = [b"junk before any MSH", adt("OK1"), unsupported("NO1"), without_pid("NO2")]
    path.write_bytes(b"\r".join(messages))
    return path


def test_cli_reports_and_dead_letters(tmp_path: Path) -> None:
    write_mixed(tmp_path / "in")
    report_path = tmp_path / "report.json"
    dead = tmp_path / "dead"

    result = CliRunner().invoke(
        main,
        [
            "hl7", "import", str(tmp_path / "in" / "*.hl7"),
            "--store", f"sqlite:///{tmp_path / 'cli.sqlite3'}",
            "--report", str(report_path), "--dead-letter", str(dead),
        ],
    )  # fmt: skip

    assert result.exit_code == 1, result.output
    assert "4 messages from 1 files" in result.output
    report = orjson.loads(report_path.read_bytes())
    assert [m["outcome"] for m in report["messages"]] == [
        "rejected",
        "applied",
        "out-of-scope",
        "failed",
    ]
    assert report["totals"]["by_message_type"]["ORU^R01"] == {"out-of-scope": 1}
    assert report["messages"][3]["ack_code"] == "AE"
    letters = sorted(p.name for p in dead.iterdir())
    assert len(letters) == 4  # the out-of-scope ORU is no error: not dead-lettered
    assert "mixed-000002-NO1.hl7" not in letters
    reason = orjson.loads((dead / "mixed-000003-NO2.json").read_bytes())
    assert reason["outcome"] == "failed"
    assert reason["reason"]
    store = ["--store", f"sqlite:///{tmp_path / 'cli.sqlite3'}"]
    shown = CliRunner().invoke(
        main, ["hl7", "ledger", *store, "--sender", "LAB|NORTH", "--control-id", "NO1"]
    )
    assert shown.exit_code == 0, shown.output
    parameters = {p["name"]: p for p in orjson.loads(shown.output)["parameter"]}
    assert parameters["outcome"]["valueCode"] == "out-of-scope"
    missing = CliRunner().invoke(
        main, ["hl7", "ledger", *store, "--sender", "LAB|NORTH", "--control-id", "NOPE"]
    )
    assert missing.exit_code == 1


def test_workers_give_the_same_result(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    shutil.copytree(ARCHIVE, archive)
    outputs = []
    for workers in ("1", "2"):
        report = tmp_path / f"report-{workers}.json"
        result = CliRunner().invoke(
            main,
            [
                "hl7", "import", str(archive), "--workers", workers, "--no-progress",
                "--store", f"sqlite:///{tmp_path / f'w{workers}.sqlite3'}",
                "--report", str(report),
            ],
        )  # fmt: skip
        assert result.exit_code in (0, 1), result.output
        outputs.append(orjson.loads(report.read_bytes())["totals"])

    assert outputs[0] == outputs[1]


def test_no_input_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(NoInput):
        expand_paths([str(tmp_path / "nothing-*.hl7")])
    result = CliRunner().invoke(main, ["hl7", "import", str(tmp_path / "nothing.hl7")])
    assert result.exit_code == 2


async def test_archive_merges_cancels_and_deletes(store: Store) -> None:
    report = await run(store, expand_paths([str(ARCHIVE)]))

    by_file = {(Path(m["file"]).name, m["index"]): m for m in report.messages}
    merge = by_file[("adt-merge.mllp", 1)]
    assert merge["message_type"] == "ADT^A40"
    survivor, retired = (t["reference"] for t in merge["touched"][:2])
    retired_body = (await snapshot(store))[retired][2]
    assert retired_body["active"] is False
    assert retired_body["link"] == [{"other": {"reference": survivor}, "type": "replaced-by"}]
    later = by_file[("adt-merge.mllp", 2)]
    assert later["touched"][0]["reference"] == survivor
    assert any("merged into" in w for w in later["warnings"])
    current = await snapshot(store)
    appointments = [v for k, v in current.items() if k.startswith("Appointment/")]
    assert sum(1 for _, deleted, _ in appointments if deleted) == 3
    statuses = sorted(body["status"] for _, deleted, body in appointments if not deleted)
    assert statuses.count("cancelled") == 6
    assert statuses.count("noshow") == 5
    assert statuses.count("booked") == 36 - 3 - 6 - 5


def test_settled_exempts_what_is_loaded_from_collection_then_restores() -> None:
    before = gc.get_threshold()

    with settled():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() != before
        assert gc.isenabled()

    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


async def test_an_import_collects_less_often_and_then_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = gc.get_threshold()
    during: list[tuple[int, int, int]] = []

    async def record_thresholds(self: Importer, files: list[Path]) -> ImportReport:
        during.append(gc.get_threshold())
        return ImportReport(dry_run=False, files=[])

    monkeypatch.setattr(Importer, "run", record_thresholds)
    await run_import([], f"sqlite:///{tmp_path / 'gc.sqlite3'}")

    assert during == [importer._IMPORT_GC_THRESHOLDS]
    assert gc.get_threshold() == before
