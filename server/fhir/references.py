"""Ids written in a body: a resource's ``id`` and relative references (references.html#literal).

Both follow the one id rule (``server.fhir.ids``). A relative reference is ``Type/id`` or
``Type/id/_history/version``. Absolute URLs (``http(s):``, ``urn:uuid:``, ``urn:oid:``) and
``#contained`` references are not checked: an absolute URL is an address on some server,
which need not be a FHIR RESTful one; the server's own ids are checked where they are made.
"""

from __future__ import annotations

import re
from typing import Final

from server.fhir.element_path import visible
from server.fhir.ids import is_fhir_id

_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_RESOURCE_TYPE: Final = re.compile(r"[A-Z][A-Za-z]{0,63}")
ID_RULE: Final = "1 to 64 of A-Z, a-z, 0-9, '-' and '.', and not '.' or '..'"


def id_problem(value: str) -> str | None:
    """Why ``value`` cannot be a resource id, or None."""
    if is_fhir_id(value):
        return None
    return f"Resource id '{visible(value)}' is not valid: an id is {ID_RULE}"


def reference_problem(reference: str) -> str | None:
    """Why ``reference`` is not a valid literal reference, or None."""
    if reference.startswith("#") or _SCHEME.match(reference):
        return None
    parts = reference.split("/")
    versioned = len(parts) == 4 and parts[2] == "_history"
    shown = visible(reference)
    if len(parts) != 2 and not versioned:
        return (
            f"Reference '{shown}' is not Type/id, Type/id/_history/version, "
            "an absolute URL or a #contained reference"
        )
    if not _RESOURCE_TYPE.fullmatch(parts[0]):
        return f"Reference '{shown}' does not begin with a resource type"
    if not all(is_fhir_id(part) for part in parts[1::2]):
        return f"Reference '{shown}' has an id that is not valid: an id is {ID_RULE}"
    return None
