"""Deterministic resource ids from business keys, so re-importing creates nothing new.

The id is a readable prefix and a hash of the normalized key parts: the same key
always gives the same id, on any machine, in any order of arrival.
"""

from __future__ import annotations

import hashlib

_PREFIX: dict[str, str] = {
    "Patient": "pat",
    "RelatedPerson": "rp",
    "Coverage": "cov",
    "Organization": "org",
    "Practitioner": "prac",
    "Location": "loc",
    "Appointment": "appt",
    "Encounter": "enc",
    "Claim": "claim",
    "Consent": "cons",
    "Provenance": "prov",
}


def deterministic_id(resource_type: str, *parts: str | None) -> str:
    """Return the id of a ``resource_type`` identified by ``parts`` (case-insensitive)."""
    normalized = "\x1f".join((p or "").strip().upper() for p in parts)
    digest = hashlib.sha256(f"{resource_type}\x1e{normalized}".encode()).hexdigest()[:24]
    return f"{_PREFIX.get(resource_type, resource_type.lower())}-{digest}"
