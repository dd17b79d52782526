"""Who may query records by HL7 v2, as whom, and for what: the site's ``QueryConfig``.

A query's sender (MSH-3 sending application, MSH-4 sending facility) is looked up as
``"APPLICATION|FACILITY"`` first, then ``"FACILITY"``, then ``"APPLICATION|"``. What
it finds is a ``QuerySender``: the actor the consent engine matches Consent provisions
against (a relative reference and/or an identifier) and the purpose of use (v3
ActReason) every query of that sender carries. A sender the configuration does not
name is refused (AR) unless ``default_sender`` is set.

The JSON file (path in ``FHIRPORT_HL7_QUERY_CONFIG``)::

    {
      "senders": {
        "MERCY": {"reference": "Organization/org-mercy", "purpose": "TREAT"},
        "CLAIMS|UNITY": {"identifier": {"system": "urn:oid:2.16.840.1.113883.3.9999.7",
                                        "value": "UNITY"}, "purpose": "HPAYMT"}
      },
      "default_sender": null,
      "consent_default": "deny",
      "max_candidates": 100,
      "authority_systems": {"HOSP": "urn:oid:2.16.840.1.113883.3.9999.1"}
    }

``consent_default`` is the consent engine's effect when a patient has no applicable
Consent (``Policy.default``); ``authority_systems`` is the ``MappingConfig`` map that
turns QRD-8 / QPD-3 assigning authorities into identifier systems and back.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson

from mappers.config import MappingConfig
from server.consent import Coding, Effect, Party, Policy
from server.roi import codes

CONFIG_ENV: Final = "FHIRPORT_HL7_QUERY_CONFIG"
# The roles the ROI workflow gives requester and recipient, so one Consent covers both paths.
RECIPIENT_ROLE: Final = Coding(codes.PARTICIPATION_TYPE, codes.RECIPIENT_ROLE)
REQUESTER_ROLE: Final = Coding(codes.PARTICIPATION_TYPE, codes.REQUESTER_ROLE)
DEFAULT_MAX_CANDIDATES: Final = 100


class QueryConfigError(ValueError):
    """A query configuration file that cannot be used; names the setting at fault."""


@dataclass(frozen=True, slots=True)
class QuerySender:
    """A system allowed to query: who it is to the consent engine, and why it asks."""

    purpose: str  # v3 ActReason, e.g. TREAT for a clinic, HPAYMT for a payer
    reference: str | None = None  # e.g. Organization/org-mercy
    identifier: Coding | None = None  # (system, value) for senders known by identifier

    def __post_init__(self) -> None:
        if self.reference is None and self.identifier is None:
            raise QueryConfigError("A query sender needs a reference or an identifier")

    def party(self, role: Coding) -> Party:
        """The sender as a consent-engine Party in ``role``."""
        return Party(role, self.reference, self.identifier)


@dataclass(frozen=True, slots=True)
class QueryConfig:
    """The site's configuration of HL7 v2 record queries (defaults: nobody may query)."""

    senders: Mapping[str, QuerySender] = field(default_factory=dict)
    default_sender: QuerySender | None = None
    policy: Policy = field(default_factory=Policy)
    max_candidates: int = DEFAULT_MAX_CANDIDATES
    mapping: MappingConfig = field(default_factory=MappingConfig)

    def sender(self, application: str, facility: str) -> QuerySender | None:
        """The configured sender for MSH-3 / MSH-4, else the default (None: refuse)."""
        for key in (f"{application}|{facility}", facility, f"{application}|"):
            found = self.senders.get(key)
            if found is not None:
                return found
        return self.default_sender


def _sender(data: Any, where: str) -> QuerySender:
    if not isinstance(data, dict) or not isinstance(data.get("purpose"), str):
        raise QueryConfigError(f"{where} must be an object with a purpose (a v3 ActReason)")
    identifier = data.get("identifier")
    coding = None
    if identifier is not None:
        if not isinstance(identifier, dict) or not isinstance(identifier.get("value"), str):
            raise QueryConfigError(f"{where}.identifier must be {{system, value}}")
        system = identifier.get("system")
        coding = Coding(system if isinstance(system, str) else None, identifier["value"])
    reference = data.get("reference")
    if reference is not None and not isinstance(reference, str):
        raise QueryConfigError(f"{where}.reference must be a string such as Organization/x")
    try:
        return QuerySender(data["purpose"], reference, coding)
    except QueryConfigError as exc:
        raise QueryConfigError(f"{where}: {exc}") from None


def query_config(data: Mapping[str, Any]) -> QueryConfig:
    """Build a QueryConfig from its JSON form (see the module docstring)."""
    senders = data.get("senders", {})
    if not isinstance(senders, dict):
        raise QueryConfigError("senders must be an object: MSH-4 (or MSH-3|MSH-4) -> sender")
    default = data.get("default_sender")
    try:
        effect = Effect(data.get("consent_default", Effect.DENY.value))
    except ValueError:
        raise QueryConfigError("consent_default must be 'permit' or 'deny'") from None
    limit = data.get("max_candidates", DEFAULT_MAX_CANDIDATES)
    if not isinstance(limit, int) or limit < 1:
        raise QueryConfigError("max_candidates must be a positive integer")
    authorities = data.get("authority_systems", {})
    if not isinstance(authorities, dict):
        raise QueryConfigError("authority_systems must be an object: authority -> system")
    return QueryConfig(
        senders={str(k): _sender(v, f"senders.{k}") for k, v in senders.items()},
        default_sender=None if default is None else _sender(default, "default_sender"),
        policy=Policy(default=effect),
        max_candidates=limit,
        mapping=MappingConfig(authority_systems={str(k): str(v) for k, v in authorities.items()}),
    )


def load_query_config(path: Path) -> QueryConfig:
    """Read a QueryConfig from a JSON file; QueryConfigError when it cannot be used."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise QueryConfigError(f"Cannot read the HL7 v2 query settings {path}: {exc}") from None
    if not isinstance(data, dict):
        raise QueryConfigError(f"{path} must hold a JSON object")
    return query_config(data)


def query_config_from_env(environ: Mapping[str, str] = os.environ) -> QueryConfig:
    """The QueryConfig the ``FHIRPORT_HL7_QUERY_CONFIG`` file gives; none set: the defaults."""
    path = environ.get(CONFIG_ENV)
    return load_query_config(Path(path)) if path else QueryConfig()
