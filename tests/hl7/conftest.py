"""Where the HL7v2 test messages live: our quirk fixtures and the shared public corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hl7.er7 import Message, parse

REPO = Path(__file__).resolve().parents[2]
QUIRKS = REPO / "fixtures" / "hl7v2" / "quirks"
CORPUS = Path(
    os.environ.get(
        "FHIRPORT_HL7_CORPUS", REPO.parent / "shared" / "corpora" / "hl7v2" / "fhir-converter"
    )
)


def quirk(name: str) -> bytes:
    """The bytes of one quirk fixture."""
    return (QUIRKS / name).read_bytes()


def corpus_files() -> list[Path]:
    """The public sample messages, or a skip when the corpus is not checked out here."""
    files = sorted(CORPUS.glob("*.hl7"))
    if not files:
        pytest.skip(f"the HL7v2 corpus is not at {CORPUS}")
    return files


def corpus_message(name: str) -> Message:
    """One corpus message, parsed, or a skip when the corpus is not checked out here."""
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{name} is not in the corpus at {CORPUS}")
    return parse(path.read_bytes())
