"""An external issuer's signing keys, from its JWKS URL or a JWKS file.

The set is read on first use and kept. A token naming a ``kid`` the set lacks (the
issuer rotated its keys) makes it read the set again, at most once per
``REFETCH_INTERVAL``: a stream of tokens with invented ``kid`` values cannot turn the
server into a client hammering the issuer. URLs are fetched with an async client, so
the event loop never waits on the network.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

REFETCH_INTERVAL = 60.0  # seconds
FETCH_TIMEOUT = 10.0

log = logging.getLogger("fhirport.auth")


class JwksKeys:
    """The keys of a JWKS document at ``source`` (an http(s) URL or a file path), by kid."""

    def __init__(self, source: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.source = source
        self.clock = clock
        self._keys: dict[str, Key] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> Key | None:
        """The key named ``kid``; reads the set again when it is unknown and may be."""
        key = self._keys.get(kid)
        if key is None and self._may_fetch():
            async with self._lock:
                if kid not in self._keys and self._may_fetch():
                    await self._refresh()
            key = self._keys.get(kid)
        return key

    def _may_fetch(self) -> bool:
        return self._fetched_at is None or self.clock() - self._fetched_at >= REFETCH_INTERVAL

    async def _refresh(self) -> None:
        self._fetched_at = self.clock()
        try:
            document = await self._read()
            keys = KeySet.import_key_set(document)
        except (OSError, httpx.HTTPError, ValueError, TypeError, KeyError, JoseError) as exc:
            # Keep the keys known so far: an issuer briefly unreachable does not lock out
            # every client whose token carries a known kid.
            log.warning("Could not read the JWKS at %s: %s", self.source, exc)
            return
        self._keys = {key.kid: key for key in keys if key.kid is not None}

    async def _read(self) -> Any:
        if self.source.startswith(("https://", "http://")):
            async with httpx.AsyncClient(timeout=FETCH_TIMEOUT) as client:
                response = await client.get(self.source)
                response.raise_for_status()
                content = response.content
        else:
            content = await asyncio.to_thread(Path(self.source).read_bytes)
        document = orjson.loads(content)
        if not isinstance(document, dict):
            raise ValueError("a JWKS is a JSON object")
        return document
