"""The people who sign in to the authorization server, and signing in as one of them.

A user is a name, a password (kept only as a scrypt hash, server.auth.secrets) and the
FHIR resource they are (``fhirUser``: ``Practitioner/ID`` or ``Patient/ID``), which
decides what their tokens reach: a Practitioner's ``user/`` scopes, a Patient's
``patient/`` scopes confined to their own record (server.auth.user_scopes).

Repeated wrong passwords lock a name out: ``LOCKOUT_FAILURES`` failures within
``LOCKOUT_WINDOW`` seconds refuse every sign-in as it, even with the right password,
until the oldest of them leaves the window. The failures are counted in the store, so
every server process on it, and a guesser spreading attempts across them, sees the same
count. A refusal never says whether the name exists.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from server.auth.secrets import hash_secret, verify_secret
from server.fhir.ids import is_fhir_id
from server.storage.auth_port import AuthRecords, DuplicateUser, UserRecord

LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = 15 * 60  # seconds
MIN_PASSWORD_LENGTH = 10
USER_TYPES = ("Practitioner", "Patient")
# Checked against when the name is unknown, so that a refusal costs the same either way.
_DECOY_HASH = hash_secret("not a password anyone has")


class UserError(ValueError):
    """A user that cannot be added, with the reason."""


@dataclass(frozen=True, slots=True)
class SignInRefused(Exception):
    """Wrong name or password, or (``locked``) too many failures lately."""

    locked: bool = False

    def __str__(self) -> str:
        if self.locked:
            return "Too many failed sign-ins: try again in a few minutes"
        return "The user name or password is wrong"


def check_fhir_user(fhir_user: str) -> str:
    """``fhir_user`` if it is ``Practitioner/ID`` or ``Patient/ID``; UserError otherwise."""
    resource_type, _, resource_id = fhir_user.partition("/")
    if resource_type not in USER_TYPES or not is_fhir_id(resource_id):
        raise UserError(f"{fhir_user!r} is not Practitioner/ID or Patient/ID")
    return fhir_user


async def add_user(
    records: AuthRecords, username: str, fhir_user: str, password: str
) -> UserRecord:
    """Add a user with ``password`` (hashed off the loop); UserError if refused."""
    if not username or username != username.strip() or len(username) > 128:
        raise UserError("A user name is 1 to 128 characters, no leading or trailing space")
    check_fhir_user(fhir_user)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters")
    password_hash = await asyncio.to_thread(hash_secret, password)
    record = UserRecord(username, fhir_user, password_hash, int(time.time()))
    try:
        await records.add_user(record)
    except DuplicateUser:
        raise UserError(f"A user named {username!r} exists already") from None
    return record


async def sign_in(
    records: AuthRecords, username: str, password: str, *, now: int | None = None
) -> UserRecord:
    """The user ``username`` if ``password`` is theirs and they are not locked out."""
    at = int(time.time()) if now is None else now
    user = await records.user(username)
    if user is None:
        await verify_secret(password, _DECOY_HASH)
        raise SignInRefused()
    if await records.failures_since(username, at - LOCKOUT_WINDOW) >= LOCKOUT_FAILURES:
        raise SignInRefused(locked=True)
    if not await verify_secret(password, user.password_hash):
        await records.record_failure(username, at, at - LOCKOUT_WINDOW)
        raise SignInRefused()
    await records.clear_failures(username)
    return user


def describe(user: UserRecord) -> dict[str, object]:
    """What ``fhirport users list`` shows of a user (never the password's hash)."""
    return {"username": user.username, "fhir_user": user.fhir_user, "created": user.created}
