"""PKCE (RFC 7636) as SMART App Launch 2.x requires it: S256 only.

``plain`` is refused: it sends the verifier itself as the challenge, so anyone who sees
the authorization request can redeem the code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

METHODS = ("S256",)
# RFC 7636 section 4.1: 43 to 128 unreserved characters. A S256 challenge is the
# base64url of a SHA-256 digest: 43 characters exactly.
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


def challenge_problem(challenge: str | None, method: str | None) -> str | None:
    """Why an authorization request's PKCE parameters are refused, or None if they are fine."""
    if not challenge:
        return "code_challenge is required (PKCE, S256)"
    if method != "S256":
        return "code_challenge_method must be S256"
    if _CHALLENGE.fullmatch(challenge) is None:
        return "code_challenge is not a S256 challenge"
    return None


def s256(verifier: str) -> str:
    """The S256 challenge of ``verifier``."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def verifier_matches(verifier: str | None, challenge: str) -> bool:
    """Whether ``verifier`` is the one ``challenge`` was made from."""
    if verifier is None or _VERIFIER.fullmatch(verifier) is None:
        return False
    return hmac.compare_digest(s256(verifier), challenge)
