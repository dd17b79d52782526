"""The profiles, tags and security labels in use on a type: ``$meta`` at type and system level.

Only the resources that carry one are read (``:missing=false`` on ``_profile``, ``_tag``,
``_security``, a query on the index), page by page, whatever their number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from server.operations.meta import summary
from server.search.query import Clause, MissingCond, SearchQuery
from server.storage.port import Store

_CARRIES_META = Clause(tuple(MissingCond(p, False) for p in ("_profile", "_tag", "_security")))
_PAGE = 1000


async def meta_in_use(
    store: Store, resource_type: str, restrictions: Sequence[Clause]
) -> dict[str, Any]:
    """The union of the sets of the current resources of a type matching ``restrictions``."""
    metas: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = SearchQuery(resource_type, (_CARRIES_META, *restrictions), (), _PAGE, cursor)
        page = await store.search(query)
        metas.append(summary(orjson.loads(v.body or b"{}").get("meta", {}) for v in page.versions))
        if page.next_cursor is None:
            return summary(metas)
        cursor = page.next_cursor
