"""Which HL7v2 senders fhirport accepts (over MLLP and ``$hl7v2-ingest``), and what each
may send.

The allowlist (``--hl7-senders`` / ``FHIRPORT_HL7_SENDERS``, YAML or JSON) names each
sender by MSH-3 / MSH-4 (application, facility: the HD namespace id, or the universal id
when only that is sent), the message types it may send (``ADT^A04``, ``ADT^*``, ``*``),
and optionally the networks it sends from (CIDR) and the subjects of the TLS client
certificates it presents (RFC 4514). A message whose sender is not listed, comes from
elsewhere, or is of a type its sender may not send is answered AR with an ERR, is not
applied (not even recorded in the ledger), and leaves a security AuditEvent. Over HTTP
the client's address is the network checked (no certificate: an entry that requires one
never matches), and a body holding such a message is refused whole with a 403.

Without an allowlist the listener accepts every sender, and so may listen only on a
loopback address: ``check_exposure`` refuses anything else.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hl7.ack import AckCode, AckError, ack_bytes, ack_for_raw
from hl7.er7 import Message, ParseError, parse
from hl7.mllp import Peer, TlsFailure
from server.audit import AuditTrail
from server.hl7v2.config_file import ConfigFileError, read_model

__all__ = [
    "MllpExposed",
    "Refusal",
    "SenderAllowlist",
    "SendersFileError",
    "check_exposure",
    "check_message",
    "handshake_recorder",
    "is_loopback",
    "load_senders",
    "refusal_answer",
    "refused_in_batch",
]

log = logging.getLogger("fhirport.hl7")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Subject = tuple[tuple[str, str], ...]

_TYPE: Final = re.compile(r"\*|[A-Z0-9]{3}\^(\*|[A-Z0-9]{3})")
NOT_ALLOWED: Final = "207"  # table 0357 has no "not authorized": application error
TYPE_NOT_ALLOWED: Final = "200"  # unsupported message type (for this sender)
# RFC 4514 attribute types by their short names, whatever spelling a file or a peer uses.
_ATTRIBUTE_NAMES: Final = {
    "cn": "CN",
    "commonname": "CN",
    "o": "O",
    "organizationname": "O",
    "ou": "OU",
    "organizationalunitname": "OU",
    "c": "C",
    "countryname": "C",
    "l": "L",
    "localityname": "L",
    "st": "ST",
    "stateorprovincename": "ST",
    "street": "STREET",
    "streetaddress": "STREET",
    "dc": "DC",
    "domaincomponent": "DC",
    "uid": "UID",
    "userid": "UID",
    "e": "EMAILADDRESS",
    "emailaddress": "EMAILADDRESS",
}


class SendersFileError(ValueError):
    """The allowlist file cannot be read or says something invalid."""


class MllpExposed(RuntimeError):
    """An MLLP listener without an allowlist asked to listen beyond loopback."""


def subject_key(text: str) -> Subject:
    """An RFC 4514 subject as comparable pairs: names by their short form, blanks around
    names and values ignored (``CN=gw, O=Lab`` is ``cn=gw,o=Lab``)."""
    pairs: list[tuple[str, str]] = []
    for part in re.split(r"(?<!\\)[,+]", text):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not name or not value.strip():
            raise ValueError(f"{text!r} is no certificate subject (e.g. CN=gateway,O=Lab)")
        canonical = _ATTRIBUTE_NAMES.get(name.lower(), name.upper())
        pairs.append((canonical, re.sub(r"\\(.)", r"\1", value.strip())))
    return tuple(pairs)


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # an IPv4 client of a dual-stack listener
    return address


@dataclass(frozen=True, slots=True)
class Sender:
    """One allowlist entry."""

    application: str
    facility: str
    messages: frozenset[str]
    networks: tuple[Network, ...] = ()
    subjects: frozenset[Subject] = frozenset()

    def admits(self, peer: Peer) -> bool:
        """True when ``peer`` sends from a listed network with a listed certificate."""
        if self.networks:
            address = _address(peer.host)
            if address is None or not any(address in network for network in self.networks):
                return False
        if self.subjects:
            subject = peer.certificate_subject
            return subject is not None and subject_key(subject) in self.subjects
        return True

    def may_send(self, message_type: str) -> bool:
        """True for a type (``ADT^A04``) one of the entry's patterns covers."""
        code = message_type.split("^", 1)[0]
        return bool({"*", f"{code}^*", message_type} & self.messages)


@dataclass(frozen=True, slots=True)
class SenderAllowlist:
    """The senders the MLLP listener accepts."""

    senders: tuple[Sender, ...]

    def refusal(self, message: Message, peer: Peer) -> AckError | None:
        """Why ``message`` from ``peer`` is refused, or None when it may be applied."""
        sender = f"{message.sending_application}|{message.sending_facility}"
        listed = [
            s
            for s in self.senders
            if (s.application, s.facility)
            == (message.sending_application, message.sending_facility)
        ]
        if not listed:
            return AckError(
                f"{sender} is not allowed to send messages here", NOT_ALLOWED, "MSH^1^3"
            )
        admitted = [s for s in listed if s.admits(peer)]
        if not admitted:
            certificate = peer.certificate_subject or "no client certificate"
            return AckError(
                f"{sender} is not allowed to send from {peer.host} ({certificate})",
                NOT_ALLOWED,
                "MSH^1^3",
            )
        message_type = _message_type(message)
        if not any(s.may_send(message_type) for s in admitted):
            return AckError(f"{sender} may not send {message_type}", TYPE_NOT_ALLOWED, "MSH^1^9")
        return None


def _message_type(message: Message) -> str:
    event = message.trigger_event
    code = message.message_code.upper()
    return f"{code}^{event.upper()}" if event else code


@dataclass(frozen=True, slots=True)
class Refusal:
    """A message the allowlist refuses: who sent it, what it was, and why not."""

    sender: str  # MSH-3|MSH-4, "" when the message cannot be read
    message_type: str | None
    control_id: str
    error: AckError


def check_message(data: bytes, peer: Peer, allowlist: SenderAllowlist) -> Refusal | None:
    """The Refusal of ``data`` from ``peer``, or None when it may go on.

    A message that cannot be parsed names no sender, so it is refused; an incoming ACK
    passes (it is never acknowledged, and applies nothing).
    """
    try:
        message = parse(data)
    except ParseError:
        error = AckError("the message names no sender (MSH cannot be read)", NOT_ALLOWED, "MSH")
        return Refusal("", None, "", error)
    if message.message_code == "ACK":
        return None
    refused = allowlist.refusal(message, peer)
    if refused is None:
        return None
    sender = f"{message.sending_application}|{message.sending_facility}"
    return Refusal(sender, _message_type(message), message.control_id, refused)


def _record(refusal: Refusal, peer: Peer, audit: AuditTrail | None) -> None:
    log.warning("HL7v2 message refused from %s: %s", peer.host, refusal.error.message)
    if audit is not None:
        audit.security_event(
            sender=refusal.sender,
            message_type=refusal.message_type,
            reason=refusal.error.message,
            address=peer.host,
            subject=peer.certificate_subject,
        )


def refusal_answer(
    data: bytes, peer: Peer, allowlist: SenderAllowlist, audit: AuditTrail | None
) -> bytes | None:
    """The AR for a message the allowlist refuses (recorded as a security event), else None."""
    refusal = check_message(data, peer, allowlist)
    if refusal is None:
        return None
    _record(refusal, peer, audit)
    return ack_bytes(ack_for_raw(data, refusal.error, AckCode.REJECT))


def refused_in_batch(
    messages: Sequence[bytes], peer: Peer, allowlist: SenderAllowlist, audit: AuditTrail | None
) -> list[str]:
    """Why each refused message of an HTTP batch is refused ("Message 2 (...): ..."), each
    recorded as a security event; empty when all may be applied."""
    reasons = []
    for number, data in enumerate(messages, 1):
        refusal = check_message(data, peer, allowlist)
        if refusal is not None:
            _record(refusal, peer, audit)
            what = " ".join(filter(None, (refusal.message_type, refusal.control_id)))
            reasons.append(f"Message {number} ({what or 'unreadable'}): {refusal.error.message}")
    return reasons


def handshake_recorder(audit: AuditTrail | None) -> TlsFailure:
    """What the listener calls for a refused TLS handshake: a security AuditEvent."""

    def record(peer: Peer, reason: str) -> None:
        if audit is not None:
            audit.security_event(
                sender="",
                message_type=None,
                reason=reason,
                address=peer.host,
                subject=peer.certificate_subject,
            )

    return record


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    application: str
    facility: str
    messages: list[str] = Field(min_length=1)
    networks: list[str] = []
    certificate_subjects: list[str] = []

    @field_validator("messages")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        for pattern in value:
            if not _TYPE.fullmatch(pattern.upper()):
                raise ValueError(f"{pattern!r} is no message type: write ADT^A04, ADT^* or *")
        return [pattern.upper() for pattern in value]

    @field_validator("networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for text in value:
            try:
                ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise ValueError(f"{text!r} is no network: write 10.1.0.0/16 or 10.1.2.3") from None
        return value

    @field_validator("certificate_subjects")
    @classmethod
    def _subjects(cls, value: list[str]) -> list[str]:
        for text in value:
            subject_key(text)
        return value

    def sender(self) -> Sender:
        return Sender(
            self.application,
            self.facility,
            frozenset(self.messages),
            tuple(ipaddress.ip_network(n, strict=False) for n in self.networks),
            frozenset(subject_key(s) for s in self.certificate_subjects),
        )


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    senders: list[_Entry]


def load_senders(path: Path) -> SenderAllowlist:
    """Read an allowlist file (``.json``, else YAML); SendersFileError if it is bad."""
    try:
        parsed = read_model(path, _File, "HL7v2 sender allowlist")
    except ConfigFileError as exc:
        raise SendersFileError(str(exc)) from None
    return SenderAllowlist(tuple(entry.sender() for entry in parsed.senders))


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    address = _address(host.strip("[]"))
    return address is not None and address.is_loopback


def check_exposure(host: str, allowlist: SenderAllowlist | None) -> None:
    """Refuse (MllpExposed) an MLLP listener that would accept anyone beyond loopback."""
    if allowlist is None and not is_loopback(host):
        raise MllpExposed(
            f"The MLLP listener would accept HL7v2 messages from anyone on {host}: give the "
            "senders allowed (--hl7-senders FILE or FHIRPORT_HL7_SENDERS), or listen on a "
            "loopback address (127.0.0.1)"
        )
