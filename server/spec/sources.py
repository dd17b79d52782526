"""Reading the specification's definition files (a FHIR R4 4.0.1 download, ``fhir-r4/``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

SEARCH_PARAMETERS = "search-parameters-all.json"
PATIENT_COMPARTMENT = "compartmentdefinition-patient.json"
VALUE_SETS = "valuesets.json"
VERSION_INFO = "version.info"


class SpecError(Exception):
    """The definition files cannot give what a generated file needs."""


@dataclass(frozen=True, slots=True)
class SpecDir:
    """A folder of the specification's definition files."""

    path: Path

    def read(self, name: str) -> dict[str, Any]:
        document: dict[str, Any] = orjson.loads((self.path / name).read_bytes())
        return document

    def entries(self, name: str) -> list[dict[str, Any]]:
        """The resources of a Bundle file."""
        return [entry["resource"] for entry in self.read(name).get("entry", ())]

    def fhir_version(self) -> str:
        for line in (self.path / VERSION_INFO).read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "version":
                return value.strip()
        raise SpecError(f"{self.path / VERSION_INFO} names no version")


def provenance(spec: SpecDir, source: str) -> dict[str, str]:
    """The ``_generated`` record of a generated file: what wrote it, from what."""
    return {
        "by": "python -m server.spec.generate",
        "from": f"FHIR {spec.fhir_version()} {source}",
    }
