"""HL7v2 fields with C0 control characters: stored without them, with a warning saying where.

FHIR strings cannot hold them; the raw message in the ledger keeps them as received.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from server.hl7v2.ingest.importer import Importer, ImportOptions
from server.hl7v2.ingest.model import Outcome
from server.hl7v2.ingest.service import Ingestor
from server.storage.port import HistoryQuery, Store
from tests.ingest.factories import SENDER, service_on
from tests.ingest.messages import adt

pytestmark = pytest.mark.anyio


async def stored_patient(store: Store) -> dict[str, object]:
    page = await store.history(HistoryQuery("Patient", None, None, 10, None))
    [version] = page.versions
    assert version.body is not None
    patient: dict[str, object] = orjson.loads(version.body)
    return patient


def removals(warnings: list[str]) -> list[str]:
    return [w for w in warnings if "control characters removed" in w.lower()]


@pytest.mark.parametrize(
    ("family", "kept"),
    [
        pytest.param("D\x00oe", "Doe", id="nul"),
        pytest.param("D\x1boe\x07", "Doe", id="escape-and-bell"),
        pytest.param("Doe\\X00\\", "Doe", id="hex-escape"),
        pytest.param("O\x0bBrien\x0c", "OBrien", id="vertical-tab-form-feed"),
    ],
)
async def test_control_characters_are_removed_and_reported(
    store: Store, family: str, kept: str
) -> None:
    data = adt("C1", family=family)

    outcome = await Ingestor(service_on(store)).ingest(data)

    assert outcome.outcome is Outcome.APPLIED, outcome.reason
    patient = await stored_patient(store)
    assert patient["name"] == [{"family": kept, "given": ["Ann"]}]
    [warning] = removals(outcome.warnings)
    assert "Patient.name[0].family" in warning
    entry = await store.ledger_get(SENDER, "C1")
    assert entry is not None
    assert entry.outcome == "applied"
    assert warning in entry.warnings
    assert entry.raw == data


@pytest.mark.parametrize(
    ("family", "name", "where"),
    [
        pytest.param("\x01", {"given": ["Ann"]}, "Patient.name[0].family", id="family"),
        pytest.param("Doe^\x01\x02", {"family": "Doe", "given": ["Ann"]}, "given[0]", id="given"),
    ],
)
async def test_a_value_of_control_characters_only_is_left_out(
    store: Store, family: str, name: dict[str, object], where: str
) -> None:
    outcome = await Ingestor(service_on(store)).ingest(adt("C2", family=family))

    assert outcome.outcome is Outcome.APPLIED, outcome.reason
    patient = await stored_patient(store)
    assert patient["name"] == [name]
    [warning] = removals(outcome.warnings)
    assert where in warning


async def test_tab_is_kept_and_not_reported(store: Store) -> None:
    outcome = await Ingestor(service_on(store)).ingest(adt("C3", family="Doe\tRoe"))

    assert outcome.outcome is Outcome.APPLIED, outcome.reason
    assert not removals(outcome.warnings)


async def test_the_import_report_names_where_they_were_removed(
    store: Store, tmp_path: Path
) -> None:
    archive = tmp_path / "adt.hl7"
    archive.write_bytes(adt("C4", family="D\x00oe") + b"\n" + adt("C5", mrn="MRN2"))

    report = await Importer(Ingestor(service_on(store)), ImportOptions()).run([archive])

    records = {record["control_id"]: record for record in report.to_json()["messages"]}
    assert records["C4"]["outcome"] == "applied"
    [warning] = removals(records["C4"]["warnings"])
    assert "Patient.name[0].family" in warning
    assert not removals(records["C5"]["warnings"])
