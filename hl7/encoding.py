"""The delimiters of one ER7 message, read from MSH-1 and MSH-2.

See HL7 v2.5 chapter 2.5.4 (message delimiters): MSH-1 is the field separator and
MSH-2 holds, in order, the component, repetition, escape and sub-component
characters, and from v2.7 on an optional fifth truncation character.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Final


@dataclass(frozen=True, slots=True)
class Encoding:
    """The five (or six) characters that structure an ER7 message."""

    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"
    truncation: str = ""  # v2.7+ only; "" when MSH-2 has four characters

    @property
    def msh2(self) -> str:
        """The text of MSH-2 for these delimiters."""
        return self.component + self.repetition + self.escape + self.subcomponent + self.truncation

    @property
    def delimiters(self) -> str:
        """Every character that has a structural meaning in a field value."""
        return self.field + self.msh2


DEFAULT: Final = Encoding()

# MSH-2 positions, so a short MSH-2 ("^~\") keeps the standard character for what it omits.
_MSH2_DEFAULTS: Final = DEFAULT.msh2


@lru_cache(maxsize=64)  # a feed uses one or two delimiter sets; parse() asks per message
def encoding_from_msh(field_separator: str, msh2: str) -> Encoding:
    """Build the delimiters from MSH-1 and MSH-2; raise ValueError when they are unusable."""
    if len(msh2) > 5:
        raise ValueError(f"MSH-2 has {len(msh2)} characters, at most 5 are allowed")
    chars = msh2 + _MSH2_DEFAULTS[len(msh2) : 4]
    delimiters = field_separator + chars
    if len(set(delimiters)) != len(delimiters):
        raise ValueError("the delimiters in MSH-1 and MSH-2 are not all different")
    if any(c.isalnum() or c in "\r\n" for c in delimiters):
        raise ValueError("a delimiter in MSH-1 or MSH-2 is a letter, digit or line break")
    return Encoding(
        field=field_separator,
        component=chars[0],
        repetition=chars[1],
        escape=chars[2],
        subcomponent=chars[3],
        truncation=chars[4] if len(chars) > 4 else "",
    )
