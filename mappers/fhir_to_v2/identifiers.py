"""FHIR Identifier to HL7 v2 CX, the inverse of ``mappers.datatypes.identifiers``.

The assigning authority (CX.4, an HD) is found by reading ``MappingConfig`` backwards,
so an identifier the server took in comes back out with the authority it came with:
a system configured for an authority gives that namespace id; a well-known system
(SSN, NPI) its usual namespace; ``urn:oid:`` an ISO universal id; fhirport's local
``urn:fhirport:id:`` systems their namespace; any other URI a universal id of type URI.
"""

from __future__ import annotations

from typing import Any

from hl7.encoding import Encoding
from hl7.escapes import escape
from mappers.config import LOCAL_SYSTEM_BASE, WELL_KNOWN_AUTHORITIES, MappingConfig
from mappers.fhir_to_v2.er7_text import first_code, sub_composite, trimmed


def authority(system: str, config: MappingConfig) -> tuple[str, str, str]:
    """The HD (namespace id, universal id, universal id type) that stands for ``system``."""
    for key, configured in config.authority_systems.items():
        if configured == system:
            return key.split("^", 1)[0], "", ""  # "HOSP^MR" keys name the authority HOSP
    for key, known in WELL_KNOWN_AUTHORITIES.items():
        if known == system and not key[0].isdigit():
            return key, "", ""
    if system.startswith("urn:oid:"):
        return "", system.removeprefix("urn:oid:"), "ISO"
    if system.startswith(LOCAL_SYSTEM_BASE):
        return system.removeprefix(LOCAL_SYSTEM_BASE).upper(), "", ""
    return ("", system, "URI") if system else ("", "", "")


def cx(identifier: dict[str, Any], config: MappingConfig, encoding: Encoding) -> str:
    """One CX: value (CX.1), assigning authority (CX.4), identifier type code (CX.5)."""
    value = identifier.get("value")
    if not value:
        return ""
    hd = authority(str(identifier.get("system", "")), config)
    parts = [
        escape(str(value), encoding),
        "",
        "",
        sub_composite(hd, encoding),
        escape(first_code(identifier.get("type")), encoding),
    ]
    return trimmed(parts, encoding.component)
