"""Read the outbound feed's file (``--hl7-outbound FILE`` / ``FHIRPORT_HL7_OUTBOUND``).

    sender: {application: FHIRPORT, facility: MAIN}   # MSH-3/MSH-4 of what is sent
    destinations:
      - name: legacy-adt
        host: adt.example.org
        port: 2575
        application: LEGACYADT     # MSH-5/MSH-6 of what is sent to it, and the MSH-3/MSH-4
        facility: NORTH            # its own messages come with: those are not echoed back
        messages: [ADT^A04, ADT^A08, ADT^A40]
        tls: {ca: ca.pem, cert: client.pem, key: client.key, check_hostname: true}
    lease_seconds: 30   # servers sharing a store: how long a killed one's entries wait

Everything is checked when the file is read (the TLS files are loaded too), so a bad
file stops the server at start, not at the first message.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hl7.tls import client_context
from server.hl7v2.config_file import ConfigFileError, read_model

# The events the feed can send (HL7 v2.5.1 chapters 3 and 10).
MESSAGE_TYPES: Final = frozenset(
    {"ADT^A04", "ADT^A08", "ADT^A40", "SIU^S12", "SIU^S14", "SIU^S15", "SIU^S17"}
)


class OutboundFileError(ValueError):
    """The outbound feed's file cannot be read or says something invalid."""


@dataclass(frozen=True, slots=True)
class Destination:
    """One MLLP destination and what it wants."""

    name: str
    host: str
    port: int
    application: str
    facility: str
    messages: frozenset[str]
    tls: ssl.SSLContext | None = None
    server_hostname: str | None = None
    timeout: float = 10.0  # seconds to connect, or to wait for one ACK
    window: int = 1  # messages sent before their ACKs are read (1: one at a time)

    @property
    def identity(self) -> str:
        """How an inbound message from this system names its sender (MSH-3|MSH-4)."""
        return f"{self.application}|{self.facility}"


@dataclass(frozen=True, slots=True)
class OutboundFeed:
    """The feed: who fhirport says it is, where it sends, how it backs off."""

    application: str
    facility: str
    destinations: tuple[Destination, ...]
    retry_initial: float = 1.0
    retry_max: float = 300.0
    keep_sent_days: float = 30.0  # sent entries older than this are purged; 0: kept
    # How long a server's hold on delivering a destination lasts unless renewed: a killed
    # server's entries wait this long before another server delivers them.
    lease: float = 30.0


class _Identity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    application: str = Field(min_length=1)
    facility: str = ""


class _Tls(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    check_hostname: bool = True
    server_hostname: str | None = None


class _Destination(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    application: str = Field(min_length=1)
    facility: str = ""
    messages: list[str] = Field(min_length=1)
    tls: _Tls | None = None
    timeout: float = Field(10.0, gt=0)
    window: int = Field(1, ge=1, le=64)

    @field_validator("messages")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        known = ", ".join(sorted(MESSAGE_TYPES))
        for message_type in value:
            if message_type.upper() not in MESSAGE_TYPES:
                raise ValueError(f"{message_type!r} is not one the feed sends ({known})")
        return [message_type.upper() for message_type in value]


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sender: _Identity = _Identity(application="FHIRPORT")
    destinations: list[_Destination] = Field(min_length=1)
    retry_initial_seconds: float = Field(1.0, gt=0)
    retry_max_seconds: float = Field(300.0, gt=0)
    keep_sent_days: float = Field(30.0, ge=0)
    lease_seconds: float = Field(30.0, gt=0)


def _tls_context(tls: _Tls, where: str) -> ssl.SSLContext:
    if tls.key is not None and tls.cert is None:
        raise OutboundFileError(f"{where}.tls: key without cert")
    try:
        context = client_context(tls.ca, tls.cert, tls.key)
    except (OSError, ssl.SSLError) as exc:
        raise OutboundFileError(f"{where}.tls: {exc}") from None
    if not tls.check_hostname:
        context.check_hostname = False
    return context


def _destination(entry: _Destination, where: str) -> Destination:
    tls = entry.tls
    return Destination(
        name=entry.name,
        host=entry.host,
        port=entry.port,
        application=entry.application,
        facility=entry.facility,
        messages=frozenset(entry.messages),
        tls=_tls_context(tls, where) if tls is not None else None,
        server_hostname=tls.server_hostname if tls is not None else None,
        timeout=entry.timeout,
        window=entry.window,
    )


def load_outbound(path: Path) -> OutboundFeed:
    """Read and check an outbound feed file; OutboundFileError, one line, if it is bad."""
    try:
        parsed = read_model(path, _File, "HL7v2 outbound file")
    except ConfigFileError as exc:
        raise OutboundFileError(str(exc)) from None
    names = [d.name for d in parsed.destinations]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise OutboundFileError(f"{path}: destination names must differ: {', '.join(repeated)}")
    destinations = tuple(
        _destination(entry, f"{path}: destinations.{number}")
        for number, entry in enumerate(parsed.destinations)
    )
    return OutboundFeed(
        parsed.sender.application,
        parsed.sender.facility,
        destinations,
        parsed.retry_initial_seconds,
        parsed.retry_max_seconds,
        parsed.keep_sent_days,
        parsed.lease_seconds,
    )
