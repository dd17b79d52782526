"""Site configuration the mappers read: how assigning authorities become identifier systems."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mappers.vocabulary import Vocabulary

# Identifier systems when an authority is not configured: stable, and clearly local.
LOCAL_SYSTEM_BASE = "urn:fhirport:id:"
_OID = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")

# Authorities every site means the same thing by (used after the site's own map).
WELL_KNOWN_AUTHORITIES: dict[str, str] = {
    "USSSA": "http://hl7.org/fhir/sid/us-ssn",
    "SSA": "http://hl7.org/fhir/sid/us-ssn",
    "NPI": "http://hl7.org/fhir/sid/us-npi",
    "2.16.840.1.113883.4.1": "http://hl7.org/fhir/sid/us-ssn",
    "2.16.840.1.113883.4.6": "http://hl7.org/fhir/sid/us-npi",
}


@dataclass(frozen=True, slots=True)
class MappingConfig:
    """Per-site settings (loaded from JSON/env by the server; defaults work out of the box)."""

    # Assigning authority (CX-4.1 namespace id, or CX-4.2 universal id) -> identifier system URI.
    authority_systems: dict[str, str] = field(default_factory=dict)
    # Used when the authority is absent (e.g. a legacy system that never sends CX-4).
    default_patient_system: str = "urn:oid:2.16.840.1.113883.3.9999.1"
    # IANA zone in which v2 times without an offset are read (FHIR needs an offset).
    timezone: str = "UTC"
    # Each sender's local codes for the HL7 tables (the site's --vocab file).
    vocabulary: Vocabulary = field(default_factory=Vocabulary)

    def identifier_system(
        self,
        namespace: str | None,
        universal_id: str | None = None,
        *,
        type_code: str | None = None,
        fallback: str | None = None,
    ) -> str:
        """Return the system URI for an assigning authority (configured, OID, or local).

        A configured ``"AUTHORITY^TYPE"`` key (e.g. ``"HOSP^MR"``) wins over ``"AUTHORITY"``:
        one authority often issues record numbers, account numbers and staff ids.
        ``fallback`` replaces the default patient system when there is no authority at all.
        """
        for key in (namespace, universal_id):
            if key and type_code and f"{key}^{type_code}" in self.authority_systems:
                return self.authority_systems[f"{key}^{type_code}"]
            if key and key in self.authority_systems:
                return self.authority_systems[key]
        for key in (namespace, universal_id):
            if key and key.upper() in WELL_KNOWN_AUTHORITIES:
                return WELL_KNOWN_AUTHORITIES[key.upper()]
        if universal_id and _OID.match(universal_id):
            return f"urn:oid:{universal_id}"
        if universal_id and universal_id.startswith(("http://", "https://", "urn:")):
            return "".join(universal_id.split())  # a URI holds no whitespace
        if namespace:
            return LOCAL_SYSTEM_BASE + re.sub(r"\s+", "-", namespace.strip().lower())
        return fallback or self.default_patient_system
