"""Small ER7 messages for the ingest tests (the archive in fixtures/hl7v2 has the big set)."""

from __future__ import annotations

from pathlib import Path

ARCHIVE = Path(__file__).resolve().parents[2] / "fixtures" / "hl7v2" / "archive"


def adt(
    control_id: str,
    *,
    event: str = "A04",
    mrn: str = "MRN1",
    family: str = "Doe",
    when: str = "20240105083000",
) -> bytes:
    """An ADT registration or update for one patient."""
    return (
        f"MSH|^~\\&|LEGACY|NORTH|FHIRPORT|HOSP|{when}||ADT^{event}^ADT_A01|{control_id}|P|2.5.1\r"
        f"EVN|{event}|{when}\r"
        f"PID|1||{mrn}^^^NORTH^MR||{family}^Ann||19800214|F\r"
        "PV1|1|O\r"
    ).encode()


def unsupported(control_id: str) -> bytes:
    """A message type fhirport does not map (a lab result)."""
    return (
        f"MSH|^~\\&|LAB|NORTH|FHIRPORT|HOSP|20240105083000||ORU^R01^ORU_R01|{control_id}|P|2.5.1\r"
        "PID|1||MRN1^^^NORTH^MR||Doe^Ann\r"
        "OBR|1\r"
    ).encode()


def merge(control_id: str, *, survivor: str, retired: str, when: str) -> bytes:
    """ADT^A40: ``retired`` merged into ``survivor``."""
    return (
        f"MSH|^~\\&|LEGACY|NORTH|FHIRPORT|HOSP|{when}||ADT^A40^ADT_A39|{control_id}|P|2.5.1\r"
        f"EVN|A40|{when}\r"
        f"PID|1||{survivor}^^^NORTH^MR||Doe^Ann||19800214|F\r"
        f"MRG|{retired}^^^NORTH^MR\r"
    ).encode()


def without_pid(control_id: str) -> bytes:
    """An ADT^A04 with no PID: the mapper cannot identify the patient (AE)."""
    return (
        f"MSH|^~\\&|LEGACY|NORTH|FHIRPORT|HOSP|20240105083000||ADT^A04^ADT_A01|{control_id}|P|2.5.1\r"
        "EVN|A04|20240105083000\r"
    ).encode()
