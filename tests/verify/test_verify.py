"""``hl7 verify`` on every store: a clean import verifies; a value the store changed on its
own is an unexplained mismatch; later messages and REST writes explain a difference;
identifiers resolve through merges to the survivor."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from mappers.config import MappingConfig
from mappers.identity import deterministic_id
from server.hl7v2.ingest.importer import Importer, expand_paths
from server.hl7v2.ingest.service import Ingestor
from server.hl7v2.verify import VerifyReport, verify_archive
from server.storage.port import Store
from tests.ingest.factories import service_on
from tests.ingest.messages import ARCHIVE, adt, merge
from tests.verify.stored import current, write_without_provenance

pytestmark = pytest.mark.anyio

MRN1 = deterministic_id("Patient", "urn:fhirport:id:north", "MRN1")
MRN2 = deterministic_id("Patient", "urn:fhirport:id:north", "MRN2")


def archive(folder: Path, *messages: bytes) -> list[Path]:
    """Write the messages into one file of ``folder``; return the files to read."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "messages.hl7").write_bytes(b"\r\n".join(messages) + b"\r\n")
    return expand_paths([str(folder)])


def merged(folder: Path, *then: bytes) -> list[Path]:
    """MRN1 (M1) and MRN2 (M2) registered, MRN1 merged into MRN2 (M3), then ``then``."""
    return archive(
        folder,
        adt("M1", event="A04", mrn="MRN1", when="20240105083000"),
        adt("M2", event="A04", mrn="MRN2", when="20240105090000"),
        merge("M3", survivor="MRN2", retired="MRN1", when="20240106083000"),
        *then,
    )


async def imported_then_verified(store: Store, files: list[Path]) -> VerifyReport:
    await import_files(store, files)
    return await verify_archive(files, store, MappingConfig())


async def import_files(store: Store, files: list[Path]) -> None:
    report = await Importer(Ingestor(service_on(store))).run(files)
    assert not any(m["outcome"] in ("rejected", "failed") for m in report.messages)


def explanations(report: VerifyReport, control_id: str, field: str) -> list[dict[str, Any]]:
    return [
        e["changed_by"]
        for e in report.explained
        if e["control_id"] == control_id and e["field"] == field
    ]


async def test_a_clean_import_of_the_archive_verifies(store: Store) -> None:
    files = expand_paths([str(ARCHIVE)])

    report = await imported_then_verified(store, files)

    document = report.to_json()
    assert report.mismatches == []
    assert report.exit_status == 0
    totals = document["totals"]
    assert totals["checks"] > 1000
    assert totals["matched"] + totals["explained"] == totals["checks"]
    assert totals["skipped"]["stale"] == 1  # the late, older A08
    assert document["by_message_type"]["ADT^A04"]["fields"]["PID-5"]["checks"] > 0
    assert document["by_message_type"]["ADT^A40"]["fields"]["MRG-1"]["matched"] == 1
    assert any(p["status"] == "merged" for p in document["patients"])


async def test_a_value_changed_in_the_store_without_a_write_is_a_mismatch(
    tmp_path: Path, store: Store
) -> None:
    files = archive(tmp_path / "in", adt("M1", event="A04"))
    await import_files(store, files)
    await write_without_provenance(store, "Patient", MRN1, gender="male")

    report = await verify_archive(files, store, MappingConfig())

    assert report.exit_status == 1
    [mismatch] = report.mismatches
    assert (mismatch["control_id"], mismatch["field"]) == ("M1", "PID-8")
    assert mismatch["resource"] == f"Patient/{MRN1}"
    assert (mismatch["expected"], mismatch["stored"]) == ({"gender": "female"}, {"gender": "male"})
    assert "version 2" in mismatch["reason"]


async def test_a_later_message_explains_a_changed_field(tmp_path: Path, store: Store) -> None:
    first = adt("M1", event="A04", family="Doe", when="20240105083000")
    later = adt("M2", event="A08", family="Roe", when="20240106083000")
    files = archive(tmp_path / "in", first, later)

    report = await imported_then_verified(store, files)

    assert report.mismatches == []
    [changed_by] = explanations(report, "M1", "PID-5")
    assert (changed_by["kind"], changed_by["control_id"]) == ("message", "M2")
    assert explanations(report, "M1", "PID-8") == []  # the same gender: it still holds
    assert report.to_json()["by_message_type"]["ADT^A04"]["fields"]["PID-5"] == {
        "checks": 1, "matched": 0, "explained": 1, "mismatches": 0,
    }  # fmt: skip


async def test_a_later_message_sent_first_explains_an_older_one(
    tmp_path: Path, store: Store
) -> None:
    newer = adt("M2", event="A08", family="Roe", when="20240106083000")
    older = adt("M1", event="A04", family="Doe", when="20240105083000")
    files = archive(tmp_path / "in", newer, older)

    report = await imported_then_verified(store, files)

    assert report.mismatches == []
    assert report.to_json()["totals"]["skipped"] == {"stale": 1}


async def test_a_rest_update_explains_a_changed_field(tmp_path: Path, store: Store) -> None:
    files = archive(tmp_path / "in", adt("M1", event="A04"))
    await import_files(store, files)
    _, body = await current(store, "Patient", MRN1)
    body["gender"] = "other"
    await service_on(store).update("Patient", MRN1, body)

    report = await verify_archive(files, store, MappingConfig())

    assert report.exit_status == 0
    [changed_by] = explanations(report, "M1", "PID-8")
    assert (changed_by["kind"], changed_by["method"], changed_by["version"]) == ("rest", "PUT", 2)
    assert explanations(report, "M1", "PID-5") == []


async def test_a_rest_delete_explains_every_field(tmp_path: Path, store: Store) -> None:
    files = archive(tmp_path / "in", adt("M1", event="A04"))
    await import_files(store, files)
    await service_on(store).delete("Patient", MRN1)

    report = await verify_archive(files, store, MappingConfig())

    assert report.exit_status == 0
    assert {e["changed_by"]["method"] for e in report.explained} == {"DELETE"}
    assert report.to_json()["patients"][0]["status"] == "deleted"


async def test_identifiers_of_a_merged_patient_resolve_to_the_survivor(
    tmp_path: Path, store: Store
) -> None:
    files = merged(
        tmp_path / "in", adt("M4", event="A08", mrn="MRN1", family="Roe", when="20240107083000")
    )

    report = await imported_then_verified(store, files)

    assert report.mismatches == []
    patients = {p["identifier"]["value"]: p for p in report.patients}
    assert patients["MRN1"] == {
        "identifier": {"value": "MRN1", "authority": "NORTH"},
        "patients": [f"Patient/{MRN1}"],
        "resolves_to": [f"Patient/{MRN2}"],
        "status": "merged",
    }
    assert patients["MRN2"]["status"] == "current"
    assert report.to_json()["by_message_type"]["ADT^A40"]["fields"]["MRG-1"]["matched"] == 1
    # M4 (for the retired MRN1) was applied to the survivor, and is checked there.
    assert report.to_json()["by_message_type"]["ADT^A08"]["matched"] > 0


async def test_workers_verify_the_same_as_one_process(store: Store) -> None:
    files = expand_paths([str(ARCHIVE)])
    await import_files(store, files)

    alone = (await verify_archive(files, store, MappingConfig())).to_json()
    pooled = (await verify_archive(files, store, MappingConfig(), workers=2)).to_json()

    for key in ("totals", "by_message_type", "explained", "patients"):
        assert pooled[key] == alone[key]


def booking(control_id: str, mrn: str, when: str) -> bytes:
    """SIU^S12: an appointment for the patient with ``mrn``."""
    return (
        f"MSH|^~\\&|LEGACY|NORTH|FHIRPORT|HOSP|{when}||SIU^S12^SIU_S12|{control_id}|P|2.5.1\r"
        f"SCH|PL{control_id}^LEGACY|||||||||^^30^20240301090000^20240301093000|||||||||||||Booked\r"
        f"PID|1||{mrn}^^^NORTH^MR||Doe^Ann||19800214|F\r"
        "RGS|1\r"
        "AIS|1||99213^Office visit^CPT|20240301090000|||30|min\r"
    ).encode()


async def test_a_booking_for_a_merged_away_patient_is_checked_on_the_survivor(
    tmp_path: Path, store: Store
) -> None:
    files = archive(
        tmp_path / "in",
        adt("M1", event="A04", mrn="MRN1", when="20240105083000"),
        adt("M2", event="A04", mrn="MRN2", when="20240105090000"),
        booking("S1", "MRN1", "20240105100000"),
        merge("M3", survivor="MRN2", retired="MRN1", when="20240106083000"),
        booking("S2", "MRN1", "20240107083000"),
    )

    report = await imported_then_verified(store, files)

    assert report.mismatches == []
    # S1's appointment was moved to the survivor by the merge, which says so.
    [moved] = explanations(report, "S1", "Appointment.participant")
    assert (moved["kind"], moved["control_id"]) == ("message", "M3")
    assert explanations(report, "S2", "Appointment.participant") == []


async def test_a_row_changed_in_place_is_a_mismatch(tmp_path: Path, sqlite_store: Store) -> None:
    files = archive(tmp_path / "in", adt("M1", event="A04"))
    await import_files(sqlite_store, files)
    stored, body = await current(sqlite_store, "Patient", MRN1)
    body["birthDate"] = "1999-09-09"
    with sqlite3.connect(tmp_path / "sqlite-only.sqlite3") as conn:
        conn.execute(
            "UPDATE version SET body = ? WHERE id = ? AND version = ?",
            (orjson.dumps(body), MRN1, stored.version),
        )

    report = await verify_archive(files, sqlite_store, MappingConfig())

    [mismatch] = report.mismatches
    assert (mismatch["control_id"], mismatch["field"]) == ("M1", "PID-7")
    assert "does not hold" in mismatch["reason"]


async def test_a_merge_sent_twice_checks_the_retired_patient_both_times(
    tmp_path: Path, store: Store
) -> None:
    files = merged(
        tmp_path / "in", merge("M4", survivor="MRN2", retired="MRN1", when="20240106090000")
    )

    report = await imported_then_verified(store, files)

    assert report.mismatches == []
    merges = report.to_json()["by_message_type"]["ADT^A40"]["fields"]["MRG-1"]
    assert (merges["checks"], merges["matched"]) == (2, 2)
