"""What a verified access token says about its bearer, whoever issued it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Claims:
    """The claims of a verified access token that access decisions and audit read.

    ``scope`` is the token's space-separated scope string as issued (SMART v1 or v2
    syntax, server.auth.scopes parses it); ``patient`` is the launch context's Patient
    id for ``patient/`` scopes; ``fhir_user`` the user's resource URL when the token
    names one (``fhirUser``); ``client_id`` the client (``client_id``, else ``azp``,
    else ``sub``).
    """

    issuer: str
    client_id: str
    scope: str
    expires: int  # seconds since the epoch
    patient: str | None = None
    fhir_user: str | None = None
    subject: str | None = None
    token_id: str | None = None  # jti
