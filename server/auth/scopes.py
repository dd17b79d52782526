"""SMART App Launch 2.x scopes: what a token's ``scope`` string grants, parsed.

Both syntaxes (scopes-and-launch-context.html): v1 ``patient/Patient.read``,
``user/*.write``, ``system/*.*`` and v2 ``patient/Patient.rs``, ``user/Claim.cruds``,
with v2 granular scopes carrying search criteria (``patient/Appointment.rs?status=booked``).
Permissions are the v2 letters: create ``c``, read ``r`` (read, vread, instance history),
update ``u`` (update, patch), delete ``d``, search ``s`` (search, type and system
history); v1 ``read`` is ``rs``, ``write`` ``cud``, ``*`` all five.

A scope that is not a resource scope (``openid``, ``fhirUser``, ``launch/patient``,
``offline_access``) or that is malformed grants nothing: it is dropped, never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from urllib.parse import parse_qsl

LETTERS = "cruds"
_V1 = {"read": "rs", "write": "cud", "*": LETTERS}
_SCOPE = re.compile(
    r"(?P<context>patient|user|system)/(?P<type>\*|[A-Z][A-Za-z]*)\.(?P<permission>[a-z*]+)"
    r"(?:\?(?P<criteria>.+))?"
)


class Context(StrEnum):
    """Whose data a scope reaches: the launch patient's, the user's, or a system's."""

    PATIENT = "patient"
    USER = "user"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Scope:
    """One resource scope: a context, a type (None for ``*``), letters, granular criteria."""

    context: Context
    resource_type: str | None
    letters: str
    criteria: tuple[tuple[str, str], ...] = ()

    def grants(self, resource_type: str, letter: str) -> bool:
        """Whether the scope covers ``letter`` on ``resource_type``."""
        return letter in self.letters and self.resource_type in (None, resource_type)


def parse_scope(raw: str) -> Scope | None:
    """The resource scope ``raw`` names, or None when it is none (or malformed)."""
    match = _SCOPE.fullmatch(raw)
    if match is None:
        return None
    permission, criteria = match["permission"], match["criteria"]
    letters = _V1.get(permission)
    if letters is None:
        letters = _v2_letters(permission)
    elif criteria is not None:  # granular criteria are v2 only
        return None
    resource_type = None if match["type"] == "*" else match["type"]
    if letters is None or (criteria is not None and resource_type is None):
        return None
    pairs = tuple(parse_qsl(criteria, keep_blank_values=True)) if criteria else ()
    if criteria is not None and not pairs:
        return None
    return Scope(Context(match["context"]), resource_type, letters, pairs)


def _v2_letters(permission: str) -> str | None:
    """The letters of a v2 permission: a non-empty subset of ``cruds``, in that order."""
    position = 0
    for letter in permission:
        found = LETTERS.find(letter, position)
        if found < 0:
            return None
        position = found + 1
    return permission or None


@lru_cache(maxsize=1024)
def parse_scopes(raw: str) -> tuple[Scope, ...]:
    """The resource scopes of a space-separated scope string, each once, in order."""
    found: dict[Scope, None] = {}
    for part in raw.split():
        scope = parse_scope(part)
        if scope is not None:
            found.setdefault(scope)
    return tuple(found)
