"""``--auth none`` only where nobody else can connect: every listening address loopback."""

from __future__ import annotations

import ipaddress

from server.settings import Settings

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or name) can only be reached from this machine.

    A name other than localhost is not resolved: what it resolves to may change.
    """
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def unsecured_exposure(settings: Settings) -> str | None:
    """Why the settings must not run, or None (access control on, or loopback only).

    HTTP and MLLP both listen on ``settings.host``.
    """
    if settings.auth != "none" or is_loopback(settings.host):
        return None
    return (
        f"--auth none serves every record to anyone who can connect, so it listens on "
        f"loopback addresses only (127.0.0.1, ::1, localhost), not {settings.host!r}. "
        "Use --auth smart, or --host 127.0.0.1."
    )
