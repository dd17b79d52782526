"""Every Reference in a resource, with the FHIRPath-like element path that names it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def references(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (element path, Reference object) for each object with a string ``reference``.

    Extensions and contained resources are walked like any other element, so their
    references are found too (``Patient.contained[0].managingOrganization``).
    """
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            yield path, node
        for key, value in node.items():
            if isinstance(value, dict | list):
                yield from references(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, dict | list):
                yield from references(item, f"{path}[{index}]")
