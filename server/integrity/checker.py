"""Whether a resource's references into this server resolve, and who points at a resource.

A reference is checked when it names a held type, relatively (``Patient/1``,
``Patient/1/_history/2``) or as an absolute URL under one of this server's base URLs.
Contained (``#id``), ``urn:`` and other absolute references are not: they are not
addresses on this server. ``strict`` refuses a write with a dangling reference (422
naming each element); ``lenient`` lets it through and reports the references, for bulk
loads whose resources arrive out of order.

Referrers are found from the search index (server.storage.port ``Store.referrers``): a
reference that no search parameter indexes is not seen by the delete-time check.
Resources the server writes itself (read-only through the API, the AuditEvents) never
hold a delete back and are never cascaded to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from server.errors import BusinessRuleViolation, Conflict, Issue
from server.integrity.walk import references
from server.registry import HELD_TYPES, Interaction, get_type
from server.search.definitions import reference_params_to
from server.search.references import split_reference
from server.storage.port import Store

# How many referrers a refused delete names.
REFERRERS_SHOWN = 20
# How many resources one cascading delete may remove; past it the delete is refused.
CASCADE_LIMIT = 1000

Key = tuple[str, str]
Walked = list[tuple[str, dict[str, Any]]]  # (element path, Reference) from walk.references


@dataclass(frozen=True, slots=True)
class Dangling:
    """A reference to a resource of this server that does not exist (or is deleted)."""

    expression: str
    reference: str

    def issue(self) -> Issue:
        return Issue(
            f"{self.expression} refers to {self.reference}, which does not exist on this server",
            "business-rule",
            expression=(self.expression,),
        )


@dataclass(frozen=True, slots=True)
class Referrers:
    """The current resources pointing at a resource, as ``Type/id``."""

    target: str
    keys: tuple[Key, ...]

    def conflict(self) -> Conflict:
        shown = ", ".join(f"{t}/{i}" for t, i in self.keys[:REFERRERS_SHOWN])
        more = "" if len(self.keys) <= REFERRERS_SHOWN else " and more"
        return Conflict(
            f"{self.target} is referred to by {shown}{more}; delete those first, or "
            "delete with _cascade=delete to delete them too",
            code="conflict",
        )


@cache
def _sources(target: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The (type, reference params) that may point at ``target``, types a client can delete."""
    return tuple(
        (name, tuple(params))
        for name, params in reference_params_to(target).items()
        if HELD_TYPES[name].supports(Interaction.DELETE)
    )


class ReferenceIntegrity:
    """The referential integrity rules of one server (its store and base URLs)."""

    def __init__(self, store: Store, base_urls: tuple[str, ...], *, strict: bool = True) -> None:
        self.store = store
        self.base_urls = base_urls
        self.strict = strict

    def targets(
        self, resource: dict[str, Any], path: str, walked: Walked | None = None
    ) -> list[tuple[str, Key, str]]:
        """(element path, (type, id), as written) of each reference this server must hold.

        ``walked``: the resource's references if the caller already found them.
        """
        found: list[tuple[str, Key, str]] = []
        for where, reference in references(resource, path) if walked is None else walked:
            text = reference["reference"]
            target_type, target_id, _ = split_reference(text, self.base_urls)
            if target_type is None or target_id is None or get_type(target_type) is None:
                continue
            found.append((where, (target_type, target_id), text))
        return found

    async def dangling(
        self,
        resource: dict[str, Any],
        path: str,
        pending: Mapping[Key, bool] | None = None,
        walked: Walked | None = None,
    ) -> list[Dangling]:
        """The references of ``resource`` whose targets are missing or deleted.

        ``pending`` says, for resources written in the same transaction, whether they
        exist once it commits; the store is asked about every other target.
        """
        missing, _ = await self._resolve(resource, path, pending, walked)
        return missing

    async def check(
        self,
        resource: dict[str, Any],
        path: str,
        pending: Mapping[Key, bool] | None = None,
        walked: Walked | None = None,
    ) -> list[Dangling]:
        """Refuse (422) a resource with dangling references when strict; else return them."""
        missing, _ = await self.check_required(resource, path, pending, walked)
        return missing

    async def check_required(
        self,
        resource: dict[str, Any],
        path: str,
        pending: Mapping[Key, bool] | None = None,
        walked: Walked | None = None,
    ) -> tuple[list[Dangling], tuple[Key, ...]]:
        """``check``, and the stored targets the write must require when it commits
        (``Write.requires``; none when lenient): a delete racing the write is then
        either seen by it, or sees it (server.storage.port)."""
        missing, stored = await self._resolve(resource, path, pending, walked)
        if missing and self.strict:
            raise refused(missing)
        return missing, stored if self.strict else ()

    def unreferenced(self, resource_type: str) -> dict[str, tuple[str, ...]] | None:
        """What a deletion of a ``resource_type`` checks when it commits
        (``Write.unreferenced``): the reference parameters by type that may point at
        it; None when lenient, or when nothing a client deletes can point at it."""
        sources = _sources(resource_type)
        return dict(sources) if sources and self.strict else None

    async def _resolve(
        self,
        resource: dict[str, Any],
        path: str,
        pending: Mapping[Key, bool] | None,
        walked: Walked | None,
    ) -> tuple[list[Dangling], tuple[Key, ...]]:
        """The dangling references, and the stored targets that exist (not ``pending``)."""
        pending = pending or {}
        targets = self.targets(resource, path, walked)
        unknown = list(dict.fromkeys(key for _, key, _ in targets if key not in pending))
        stored = await self.store.read_many(unknown) if unknown else {}
        missing: list[Dangling] = []
        for where, key, text in targets:
            if key in pending:
                exists = pending[key]
            else:
                version = stored.get(key)
                exists = version is not None and not version.deleted
            if not exists:
                missing.append(Dangling(where, text))
        return missing, tuple(unknown)

    async def referrers(self, target: Key, limit: int = REFERRERS_SHOWN + 1) -> list[Key]:
        """Up to ``limit`` current resources (not ``target`` itself) that point at ``target``."""
        sources = _sources(target[0])
        if not sources:
            return []
        return await self.store.referrers(target[0], target[1], dict(sources), limit)

    async def cascade(self, target: Key) -> list[Key]:
        """Every current resource that a delete of ``target`` must take along, nearest first.

        The referrers, their referrers and so on; 409 past ``CASCADE_LIMIT``.
        """
        seen: dict[Key, None] = {target: None}
        frontier = [target]
        while frontier:
            next_frontier: list[Key] = []
            for key in frontier:
                for referrer in await self.referrers(key, CASCADE_LIMIT + 1):
                    if referrer not in seen:
                        seen[referrer] = None
                        next_frontier.append(referrer)
                if len(seen) > CASCADE_LIMIT + 1:
                    raise Conflict(
                        f"Deleting {target[0]}/{target[1]} would cascade to more than "
                        f"{CASCADE_LIMIT} resources; delete them in parts",
                        code="too-costly",
                    )
            frontier = next_frontier
        return [key for key in seen if key != target]


def refused(missing: Iterable[Dangling]) -> BusinessRuleViolation:
    """The 422 for dangling references, one issue per element."""
    issues = [d.issue() for d in missing]
    return BusinessRuleViolation(issues[0].diagnostics, issues=issues)
