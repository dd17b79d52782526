"""The SearchParameters of the held types, taken whole from ``search-parameters-all.json``.

Every definition whose ``base`` names a held type, ``Resource`` or ``DomainResource`` is
kept as the specification writes it; which of them the server supports is decided by
``server.search.definitions``, not here.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.spec.rendering import render
from server.spec.sources import SEARCH_PARAMETERS, SpecDir, provenance

COMMON_BASES = frozenset({"Resource", "DomainResource"})


def generate(spec: SpecDir, held: Iterable[str]) -> bytes:
    """The Bundle of the held types' SearchParameters, sorted by id."""
    wanted = COMMON_BASES | set(held)
    definitions = sorted(
        (d for d in spec.entries(SEARCH_PARAMETERS) if wanted.intersection(d.get("base", ()))),
        key=lambda d: str(d["id"]),
    )
    header = {
        "_generated": provenance(spec, SEARCH_PARAMETERS),
        "resourceType": "Bundle",
        "id": "search-parameters",
        "type": "collection",
    }
    entries = [{"fullUrl": d["url"], "resource": d} for d in definitions]
    return render(header, "entry", entries)
