"""TLS for MLLP links (standard library ``ssl``): contexts for both ends, and who the peer is.

A listener given ``client_ca`` requires mutual TLS: a client that presents no
certificate, or one not issued by that CA, fails the handshake and never reaches the
handler. Both ends speak TLS 1.2 or later.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, Final

__all__ = ["client_context", "peer_subject", "server_context"]

# RFC 4514 section 3: the attribute types written by their short names.
_SHORT_NAMES: Final = {
    "commonName": "CN",
    "localityName": "L",
    "stateOrProvinceName": "ST",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
    "streetAddress": "STREET",
    "domainComponent": "DC",
    "userId": "UID",
}
_ESCAPED: Final = frozenset(',+"\\<>;=')


def server_context(cert: Path, key: Path, client_ca: Path | None = None) -> ssl.SSLContext:
    """A listener's context; with ``client_ca``, clients must present a certificate from it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=client_ca)
    return context


def client_context(
    ca: Path | None = None, cert: Path | None = None, key: Path | None = None
) -> ssl.SSLContext:
    """A sender's context trusting ``ca`` (default: the system's), presenting ``cert`` if given."""
    context = ssl.create_default_context(cafile=ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cert is not None:
        context.load_cert_chain(cert, key)
    return context


def _escape(value: str) -> str:
    text = "".join("\\" + ch if ch in _ESCAPED else ch for ch in value)
    if text[:1] in ("#", " "):
        text = "\\" + text
    if text.endswith(" "):
        text = text[:-1] + "\\ "
    return text


def peer_subject(peercert: dict[str, Any] | None) -> str | None:
    """The verified peer certificate's subject as an RFC 4514 string (None without one).

    ``peercert`` is ``SSLSocket.getpeercert()``: its subject lists the RDNs in
    certificate order, which RFC 4514 writes in reverse ("CN=...,O=...,C=...").
    """
    if not peercert or "subject" not in peercert:
        return None
    rdns = [
        "+".join(f"{_SHORT_NAMES.get(name, name)}={_escape(value)}" for name, value in rdn)
        for rdn in peercert["subject"]
    ]
    return ",".join(reversed(rdns))
