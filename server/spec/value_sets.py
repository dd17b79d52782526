"""Expanding the specification's ValueSets to their codes, from ``valuesets.json`` alone.

Only what the file can answer is expanded: whole code systems it carries completely,
enumerated concepts, and other value sets. A filter, an exclusion or an external code
system (ISO 4217, BCP 13) is a ``SpecError``, never a partial list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from server.spec.sources import VALUE_SETS, SpecDir, SpecError


class ValueSets:
    """The ValueSets and CodeSystems of one ``valuesets.json``, by canonical URL."""

    def __init__(self, spec: SpecDir) -> None:
        self._by_url: dict[tuple[str, str], dict[str, Any]] = {
            (r["resourceType"], r["url"]): r for r in spec.entries(VALUE_SETS) if "url" in r
        }

    def codes(self, url: str) -> list[str]:
        """Every code of the value set ``url`` (a ``|version`` suffix is ignored), in order."""
        return list(dict.fromkeys(self._expand(url.partition("|")[0])))

    def _expand(self, url: str) -> Iterator[str]:
        value_set = self._by_url.get(("ValueSet", url))
        if value_set is None:
            raise SpecError(f"{VALUE_SETS} has no ValueSet {url}")
        compose = value_set.get("compose", {})
        if compose.get("exclude"):
            raise SpecError(f"{url} excludes codes; its expansion is not generated")
        for include in compose.get("include", ()):
            yield from self._included(url, include)

    def _included(self, url: str, include: dict[str, Any]) -> Iterator[str]:
        if include.get("filter"):
            raise SpecError(f"{url} selects codes by a filter; its expansion is not generated")
        if include.get("valueSet"):
            if include.get("system"):
                raise SpecError(f"{url} intersects a system with value sets")
            for other in include["valueSet"]:
                yield from self._expand(other.partition("|")[0])
        elif include.get("concept"):
            yield from (concept["code"] for concept in include["concept"])
        else:
            yield from self._system_codes(url, include["system"])

    def _system_codes(self, url: str, system: str) -> Iterator[str]:
        code_system = self._by_url.get(("CodeSystem", system))
        if code_system is None or code_system.get("content") != "complete":
            raise SpecError(f"{url} includes {system}, whose codes {VALUE_SETS} does not list")
        yield from _nested(code_system.get("concept", ()))


def _nested(concepts: list[dict[str, Any]]) -> Iterator[str]:
    for concept in concepts:
        yield concept["code"]
        yield from _nested(concept.get("concept", ()))
