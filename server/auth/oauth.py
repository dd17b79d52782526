"""OAuth 2.0 error answers of the token endpoint (RFC 6749 section 5.2)."""

from __future__ import annotations


class OAuthError(Exception):
    """An error the token endpoint answers as ``{"error": ..., "error_description": ...}``.

    ``invalid_client`` is 401 (with ``WWW-Authenticate`` when the client tried HTTP
    Basic), a rate-limited client 429 with ``Retry-After``, everything else 400.
    """

    def __init__(
        self,
        error: str,
        description: str,
        *,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}


def invalid_request(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def invalid_client(description: str, *, basic: bool = False) -> OAuthError:
    headers = {"WWW-Authenticate": 'Basic realm="fhirport"'} if basic else None
    return OAuthError("invalid_client", description, status=401, headers=headers)


def too_many(description: str, retry_after: int) -> OAuthError:
    """429 with ``Retry-After``: RFC 6749 has no code for it, the status says it."""
    return OAuthError(
        "invalid_request", description, status=429, headers={"Retry-After": str(retry_after)}
    )


def invalid_grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)
