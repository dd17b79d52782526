"""A retired Patient to MRG, for the ADT^A40 the outbound feed sends after a merge.

MRG-1 prior patient identifier list: the retired Patient's identifiers (CX), which the
receiver merges into the PID's patient.
"""

from __future__ import annotations

from typing import Any

from hl7.encoding import Encoding
from mappers.config import MappingConfig
from mappers.fhir_to_v2.er7_text import repeated, segment
from mappers.fhir_to_v2.identifiers import cx


def mrg_segment(retired: dict[str, Any], encoding: Encoding, config: MappingConfig) -> str:
    """The MRG segment naming the retired Patient by its identifiers."""
    identifiers = [i for i in retired.get("identifier", ()) if isinstance(i, dict)]
    prior = repeated((cx(i, config, encoding) for i in identifiers), encoding)
    return segment("MRG", {1: prior}, encoding)
