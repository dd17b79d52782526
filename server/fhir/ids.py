"""The FHIR ``id`` datatype (datatypes.html#id), the one rule for every id the server takes."""

from __future__ import annotations

import re

# A URL path normalises "." and ".." away, so a resource with either id could be
# written but never read back: they are refused although the datatype allows them.
ID_PATTERN = r"[A-Za-z0-9\-\.]{1,64}"
_ID = re.compile(ID_PATTERN)
_UNREACHABLE = frozenset({".", ".."})


def is_fhir_id(value: str) -> bool:
    """True for a value the server accepts as a resource id."""
    return _ID.fullmatch(value) is not None and value not in _UNREACHABLE
