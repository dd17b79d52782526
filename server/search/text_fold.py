"""String folding for search: the same function normalizes indexed values and query values."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Casefold, strip accents and collapse whitespace ('Álvarez' ~ 'alvarez')."""
    if text.isascii():  # the common case: no accents to strip, lower() == casefold()
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())
