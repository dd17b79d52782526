"""The door every request passes: its bearer token checked, its ``Access`` decided.

With ``--auth none`` every request gets the one unrestricted ``Access``. Otherwise the
``Authorization: Bearer`` token is verified (server.auth.tokens, which caches what it
verified until the token expires) and its ``Access`` is kept for as long as the
verifier keeps answering with the same claims: a repeated token costs two dict lookups.
"""

from __future__ import annotations

from server.auth.access import Access
from server.auth.claims import Claims
from server.auth.tokens import InvalidToken, TokenVerifier
from server.errors import Unauthorized

CACHE_SIZE = 10_000


class AccessGate:
    """Turns an ``Authorization`` header into the request's ``Access`` (or a 401)."""

    def __init__(self, tokens: TokenVerifier | None, base_urls: tuple[str, ...]) -> None:
        """``tokens`` None: no access control (``--auth none``)."""
        self.tokens = tokens
        self.base_urls = base_urls
        self._everything = Access.unrestricted()
        self._decided: dict[str, tuple[Claims, Access]] = {}

    async def access(self, authorization: str | None) -> Access:
        """The request's access; Unauthorized without a token or with a refused one."""
        if self.tokens is None:
            return self._everything
        if not authorization:
            raise Unauthorized("This server needs an OAuth 2.0 bearer token", refused=False)
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("The Authorization header is not a bearer token", refused=True)
        try:
            claims = await self.tokens.verify(token)
        except InvalidToken as exc:
            raise Unauthorized(f"The access token was refused: {exc}", refused=True) from None
        known = self._decided.get(token)
        if known is not None and known[0] is claims:
            return known[1]
        decided = Access.of(claims, self.base_urls)
        if len(self._decided) >= CACHE_SIZE:
            self._decided.clear()
        self._decided[token] = (claims, decided)
        return decided
