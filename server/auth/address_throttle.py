"""Failed sign-ins counted per network address: past a bound, that address waits.

Beside the per-user lockout (server.auth.users), which a guesser avoids by trying a
new user name (or client id) each time, every failed sign-in, whether a user's password
on the sign-in page or a client's credentials at the token, introspection and
revocation endpoints, is counted against the address it came from. ``ADDRESS_FAILURES``
of them within ``ADDRESS_WINDOW`` seconds and that address is refused, before any
password is checked, until the oldest of them leaves the window: HTTP 429 with
``Retry-After``. Other addresses are not affected, and a success does not reset the
count (a guesser holding one good password could otherwise clear it).

The failures are kept in the store, so every server process on it sees the same count.
The address is the peer's, or what a trusted proxy says it is (``--forwarded-allow-ips``):
behind a proxy that is not trusted, every client shares the proxy's address.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from server.storage.auth_port import AuthRecords

ADDRESS_FAILURES: Final = 20
ADDRESS_WINDOW: Final = 15 * 60  # seconds


class AddressThrottle:
    """Counts failed sign-ins per address in the store, and says how long one must wait."""

    def __init__(
        self,
        records: AuthRecords,
        *,
        failures: int = ADDRESS_FAILURES,
        window: int = ADDRESS_WINDOW,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.records = records
        self.failures = failures
        self.window = window
        self.clock = clock

    async def retry_after(self, address: str | None) -> int | None:
        """Seconds ``address`` must wait before signing in again, or None if it need not."""
        if address is None:
            return None
        now = int(self.clock())
        latest = await self.records.address_failures(address, now - self.window, self.failures)
        if len(latest) < self.failures:
            return None
        # Below the bound again once the oldest of the latest ``failures`` leaves the window.
        return max(1, latest[-1] + self.window - now)

    async def failed(self, address: str | None) -> None:
        """Count a failed sign-in from ``address``."""
        if address is not None:
            now = int(self.clock())
            await self.records.record_address_failure(address, now, now + self.window)
