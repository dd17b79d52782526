"""References between the entries of a Bundle (bundle.html#references).

Each entry's ``fullUrl`` (``urn:uuid:``, ``urn:oid:``, or an absolute URL) names the
resource it writes; once the transaction knows the id of each (assigned by POST, found by
a conditional create or update), every reference to that ``fullUrl``, in any entry, in
extensions and contained resources too, is replaced by ``Type/id``. A conditional
reference (``Patient?identifier=sys|123``) is replaced by the one resource it matches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from server.errors import FhirError, NotFound, PreconditionFailed
from server.integrity.walk import references
from server.interactions import Matcher, criteria_key

_CONDITIONAL = re.compile(r"(?P<type>[A-Z][A-Za-z]{1,63})\?(?P<query>.*)", re.DOTALL)

Key = tuple[str, str]


def conditional_reference(text: str) -> tuple[str, list[tuple[str, str]]] | None:
    """(type, criteria) of a conditional reference, or None for any other reference."""
    match = _CONDITIONAL.fullmatch(text)
    if match is None:
        return None
    return match["type"], parse_qsl(match["query"], keep_blank_values=True)


Found = list[tuple[str, dict[str, Any]]]  # (element path, Reference object)


def rewrite(found: Found, ids: Mapping[str, Key]) -> None:
    """Replace every reference to a ``fullUrl`` in ``ids`` with the ``Type/id`` it became."""
    for _, reference in found:
        target = ids.get(reference["reference"])
        if target is not None:
            reference["reference"] = f"{target[0]}/{target[1]}"


def unresolved(resource: dict[str, Any], path: str, full_urls: Mapping[str, int]) -> str | None:
    """The element of the first reference to another entry's ``fullUrl`` (a batch error)."""
    for where, reference in references(resource, path):
        if reference["reference"] in full_urls:
            return where
    return None


class ConditionalReferences:
    """Resolves conditional references, once each per transaction attempt.

    ``created`` maps the criteria keys of the transaction's own conditional creates to
    the resource each makes, so a reference written with the same criteria as an
    ``ifNoneExist`` in the Bundle finds that resource.
    """

    def __init__(self, matcher: Matcher | None, created: Mapping[str, Key]) -> None:
        self.matcher = matcher
        self.created = created
        self.resolved: dict[str, Key] = {}

    async def resolve_all(self, found: Found) -> None:
        for where, reference in found:
            text = reference["reference"]
            parsed = conditional_reference(text)
            if parsed is None:
                continue
            if text not in self.resolved:
                self.resolved[text] = await self._resolve(*parsed, text, where)
            target = self.resolved[text]
            reference["reference"] = f"{target[0]}/{target[1]}"

    async def _resolve(
        self, resource_type: str, params: list[tuple[str, str]], text: str, where: str
    ) -> Key:
        created = self.created.get(criteria_key(resource_type, params))
        if created is not None:
            return created
        if self.matcher is None:
            raise FhirError("Conditional references need the search engine", expression=where)
        ids = await self.matcher.match_ids(resource_type, params, limit=2)
        if not ids:
            raise NotFound(
                f"The conditional reference {text!r} matches no {resource_type}",
                expression=where,
            )
        if len(ids) > 1:
            raise PreconditionFailed(
                f"The conditional reference {text!r} matches more than one {resource_type}",
                expression=where,
            )
        return resource_type, ids[0]
