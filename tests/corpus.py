"""The public HL7v2 sample messages the tests read, kept in the repository (see its README)."""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "hl7v2" / "corpus"
