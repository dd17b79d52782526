"""Literal references as the index keeps them: (type, id) inside this server, else the URL."""

from __future__ import annotations

import re

from server.fhir.ids import is_fhir_id

_TYPE = re.compile(r"[A-Z][A-Za-z]{1,63}")


def split_reference(
    text: str, base_urls: tuple[str, ...]
) -> tuple[str | None, str | None, str | None]:
    """Return (type, id, url) for a literal reference.

    ``Patient/1``, ``Patient/1/_history/2`` and ``<base>/Patient/1`` for one of this
    server's ``base_urls`` give ("Patient", "1", None); any other absolute or
    canonical URL gives (None, None, url). Contained references (``#x``) give all None.
    """
    value = text.strip()
    if not value or value.startswith("#"):
        return None, None, None
    relative = value
    for base in base_urls:
        if value.startswith(base + "/"):
            relative = value[len(base) + 1 :]
            break
    else:
        if "://" in value or value.startswith("urn:"):
            return None, None, value
    relative = relative.split("/_history/")[0]
    parts = relative.split("/")
    if len(parts) == 2 and _TYPE.fullmatch(parts[0]) and is_fhir_id(parts[1]):
        return parts[0], parts[1], None
    return None, None, value
