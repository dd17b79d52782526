"""Progress of ``fhirport hl7 import`` and ``fhirport fhir import``: a live line on a
terminal (rate, outcomes so far, time left), nothing but the usual output elsewhere."""

from __future__ import annotations

import io
import os
import select
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from rich.console import Console

from server.progress import ProgressLine
from tests.ingest.messages import adt

pytestmark = pytest.mark.slow

FHIRPORT = str(Path(sys.executable).parent / "fhirport")
MESSAGES = 120


def hl7_archive(folder: Path) -> Path:
    """MESSAGES registrations and one unreadable message."""
    archive = folder / "archive.hl7"
    messages = [adt(f"P{n}", mrn=f"MRN{n}") for n in range(MESSAGES)]
    archive.write_bytes(b"\r\n".join([*messages, b"MSH|nonsense"]) + b"\r\n")
    return archive


def ndjson(folder: Path) -> Path:
    """MESSAGES Patients and one line that is no resource."""
    path = folder / "Patient.ndjson"
    lines = [
        orjson.dumps({"resourceType": "Patient", "id": f"p{n}", "gender": "female"})
        for n in range(MESSAGES)
    ]
    path.write_bytes(b"\n".join([*lines, b'{"resourceType": "Nothing"}']) + b"\n")
    return path


def run(command: list[str], *, tty: bool) -> tuple[int, str, str]:
    """Run a command (stderr on a pseudo-terminal when ``tty``): exit code, stdout, stderr."""
    if not tty:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr
    primary, secondary = os.openpty()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=secondary)
    os.close(secondary)
    shown = bytearray()
    while True:
        readable, _, _ = select.select([primary], [], [], 0.1)
        if readable:
            try:
                data = os.read(primary, 65536)
            except OSError:  # Linux: the terminal's other end closed
                data = b""
            if not data:
                break
            shown += data
        elif process.poll() is not None:
            break
    os.close(primary)
    assert process.stdout is not None
    stdout = process.stdout.read().decode()
    process.stdout.close()
    return process.wait(timeout=30), stdout, shown.decode(errors="replace")


def hl7_import(tmp_path: Path, *, tty: bool) -> tuple[int, str, str]:
    store = f"sqlite:///{tmp_path / 'hl7.sqlite3'}"
    return run([FHIRPORT, "hl7", "import", str(hl7_archive(tmp_path)), "--store", store], tty=tty)


def fhir_import(tmp_path: Path, *, tty: bool) -> tuple[int, str, str]:
    store = f"sqlite:///{tmp_path / 'fhir.sqlite3'}"
    return run([FHIRPORT, "fhir", "import", str(ndjson(tmp_path)), "--store", store], tty=tty)


def test_hl7_import_on_a_terminal_shows_rate_and_outcomes(tmp_path: Path) -> None:
    code, _, shown = hl7_import(tmp_path, tty=True)
    live, summary = shown.split(f"{MESSAGES + 1} messages from 1 files")

    assert code == 1  # the unreadable message
    assert f"{MESSAGES + 1} messages" in live
    assert "/s" in live
    assert f"{MESSAGES} applied" in live
    assert "1 rejected" in live
    assert f"{MESSAGES} applied, 1 rejected" in summary


def test_hl7_import_elsewhere_prints_only_its_summary(tmp_path: Path) -> None:
    code, stdout, stderr = hl7_import(tmp_path, tty=False)

    assert code == 1
    assert stdout == ""
    summary, refused = stderr.splitlines()
    assert summary.startswith(f"{MESSAGES + 1} messages from 1 files in ")
    assert summary.endswith(f": {MESSAGES} applied, 1 rejected")
    assert refused == "1 messages were refused (AE/AR); see the report"


def test_fhir_import_on_a_terminal_shows_rate_and_outcomes(tmp_path: Path) -> None:
    code, stdout, shown = fhir_import(tmp_path, tty=True)
    live, _ = shown.split("1 lines or entries were refused")

    assert code == 1
    assert orjson.loads(stdout.splitlines()[-1])["applied"] == MESSAGES
    assert f"{MESSAGES + 1} resources" in live
    assert "/s" in live
    assert f"{MESSAGES} applied" in live
    assert "1 rejected" in live


def test_fhir_import_elsewhere_prints_only_its_summary(tmp_path: Path) -> None:
    code, stdout, stderr = fhir_import(tmp_path, tty=False)

    assert code == 1
    (line,) = stdout.splitlines()
    assert orjson.loads(line)["applied"] == MESSAGES
    assert stderr == "1 lines or entries were refused; see the report\n"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_line_gives_time_left_when_the_total_is_known() -> None:
    screen = io.StringIO()
    clock = Clock()
    console = Console(file=screen, force_terminal=True, width=120, color_system=None)
    with ProgressLine("messages", total=1000, console=console, clock=clock) as line:
        for _ in range(100):
            line.add("applied", 1)
        clock.now = 10.0
        line.add("failed", 100)

    shown = screen.getvalue()
    assert "101 messages" in shown
    assert "10/s" in shown
    assert "100 applied" in shown
    assert "1 failed" in shown
    assert "0:00:40 left" in shown  # 200 of 1000 done in 10 s


def test_the_line_draws_nothing_off_a_terminal() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=False)
    with ProgressLine("messages", total=10, console=console) as line:
        line.add("applied", 5)

    assert screen.getvalue() == ""
