"""``_include`` and ``_revinclude`` (search.html#include), with ``:iterate`` and ``*``.

Includes follow the references of the matched resources (read from their bodies with
the parameter's own expression); revincludes are searches for resources referencing
the matches, through the same store search as everything else. ``:iterate`` repeats
on what was just included, up to ``MAX_ROUNDS`` levels from the matches; a search whose
references go deeper is refused (400) rather than answered with a silently cut result.
At most ``MAX_INCLUDED`` resources are added to one page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import orjson

from server.errors import InvalidRequest
from server.search.definitions import reference_params_to, search_params
from server.search.parse import Include
from server.search.paths import compile_expression
from server.search.query import Clause, ReferenceCond, SearchQuery
from server.search.references import split_reference
from server.storage.port import Store, StoredVersion

MAX_INCLUDED = 1000
MAX_ROUNDS = 4

Key = tuple[str, str]
# Whether a found resource may be added (and iterated from): access control's say.
Admit = Callable[[StoredVersion], bool]


def _key(version: StoredVersion) -> Key:
    return version.resource_type, version.id


# ``*`` asks for the data that refers to the matches; the audit trail records who
# accessed them (every read adds to it), which is not that data. Named, it is included.
_NOT_DATA = frozenset({"AuditEvent"})


class IncludeResolver:
    """Collects the resources that includes and revincludes add to one page."""

    def __init__(self, store: Store, base_urls: tuple[str, ...]) -> None:
        self.store = store
        self.base_urls = base_urls

    async def resolve(
        self,
        matches: list[StoredVersion],
        includes: list[Include],
        revincludes: list[Include],
        admit: Admit | None = None,
    ) -> list[StoredVersion]:
        """Return the included resources (not among the matches, each once, all admitted)."""
        seen: set[Key] = {_key(v) for v in matches}
        added: list[StoredVersion] = []
        frontier = matches
        for round_number in range(MAX_ROUNDS):
            wanted_in = [i for i in includes if round_number == 0 or i.iterate]
            wanted_rev = [i for i in revincludes if round_number == 0 or i.iterate]
            if not frontier or not (wanted_in or wanted_rev):
                break
            found = await self._forward(frontier, wanted_in) + await self._reverse(
                frontier, wanted_rev
            )
            fresh: list[StoredVersion] = []
            for version in found:
                if _key(version) not in seen and len(added) < MAX_INCLUDED:
                    seen.add(_key(version))
                    if admit is None or admit(version):
                        fresh.append(version)
            added.extend(fresh)
            frontier = fresh
        else:
            await self._refuse_deeper(frontier, includes, revincludes, seen, admit)
        return added

    async def _refuse_deeper(
        self,
        frontier: list[StoredVersion],
        includes: list[Include],
        revincludes: list[Include],
        seen: set[Key],
        admit: Admit | None,
    ) -> None:
        """InvalidRequest when one more ``:iterate`` level would add a resource."""
        wanted_in = [i for i in includes if i.iterate]
        wanted_rev = [i for i in revincludes if i.iterate]
        if not frontier or not (wanted_in or wanted_rev):
            return
        found = await self._forward(frontier, wanted_in) + await self._reverse(frontier, wanted_rev)
        # Only what the client could read counts: a refusal must not reveal the rest.
        if any(_key(v) not in seen and (admit is None or admit(v)) for v in found):
            names = ["_include:iterate"] * bool(wanted_in) + ["_revinclude:iterate"] * bool(
                wanted_rev
            )
            raise InvalidRequest(
                f"{' and '.join(names)} follow references at most {MAX_ROUNDS} levels deep "
                "from the matches, and these go deeper; search from a resource further down",
                expression=names,
                code="too-costly",
            )

    async def _forward(
        self, sources: list[StoredVersion], includes: list[Include]
    ) -> list[StoredVersion]:
        targets: dict[Key, None] = {}
        for version in sources:
            if version.body is None:
                continue
            body: dict[str, Any] = orjson.loads(version.body)
            for include in includes:
                if include.source != version.resource_type:
                    continue
                for ref in self._references(body, include):
                    targets.setdefault(ref)
        current = await self.store.read_many(list(targets)[:MAX_INCLUDED])
        return [v for v in current.values() if v is not None and not v.deleted]

    def _references(self, body: dict[str, Any], include: Include) -> Iterable[Key]:
        params = search_params(include.source)
        codes = (
            [include.param]
            if include.param
            else [code for code, p in params.items() if p.type == "reference"]
        )
        for code in codes:
            expression = params[code].expression
            if not expression:
                continue
            for value in compile_expression(expression)(body):
                literal = value.get("reference") if isinstance(value, dict) else None
                if not isinstance(literal, str):
                    continue
                target_type, target_id, _ = split_reference(literal, self.base_urls)
                if target_type and target_id and include.target in (None, target_type):
                    yield target_type, target_id

    async def _reverse(
        self, targets: list[StoredVersion], revincludes: list[Include]
    ) -> list[StoredVersion]:
        found: list[StoredVersion] = []
        by_type: dict[str, list[str]] = {}
        for version in targets:
            by_type.setdefault(version.resource_type, []).append(version.id)
        for target_type, ids in by_type.items():
            for source, code in self._reverse_params(target_type, revincludes):
                refs = tuple(ReferenceCond(code, target_type, i) for i in ids)
                query = SearchQuery(source, (Clause(refs),), count=MAX_INCLUDED)
                found.extend((await self.store.search(query)).versions)
        return found

    @staticmethod
    def _reverse_params(target_type: str, revincludes: list[Include]) -> list[tuple[str, str]]:
        pairs: dict[tuple[str, str], None] = {}
        for include in revincludes:
            if include.target not in (None, target_type):
                continue
            if include.param is None:
                for source, codes in reference_params_to(target_type).items():
                    if source not in _NOT_DATA:
                        pairs.update(dict.fromkeys((source, c) for c in codes))
            elif target_type in search_params(include.source)[include.param].targets:
                pairs.setdefault((include.source, include.param))
        return list(pairs)
