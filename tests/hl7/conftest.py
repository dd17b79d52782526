"""Where the HL7v2 test messages live: our quirk fixtures and the public corpus."""

from __future__ import annotations

from pathlib import Path

from hl7.er7 import Message, parse
from tests.corpus import CORPUS

REPO = Path(__file__).resolve().parents[2]
QUIRKS = REPO / "fixtures" / "hl7v2" / "quirks"


def quirk(name: str) -> bytes:
    """The bytes of one quirk fixture."""
    return (QUIRKS / name).read_bytes()


def corpus_files() -> list[Path]:
    """The public sample messages."""
    return sorted(CORPUS.glob("*.hl7"))


def corpus_message(name: str) -> Message:
    """One corpus message, parsed."""
    return parse((CORPUS / name).read_bytes())
