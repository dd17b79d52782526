"""The normalized search index entries of one resource version, as the stores keep them."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.value_types import value_type

# Open ends of a Period, in microseconds since the epoch (0001-01-01 and 9999-12-31 UTC).
DATE_MIN = -62135596800000000
DATE_MAX = 253402300800000000


@value_type
class StringEntry:
    param: str
    folded: str  # casefolded, accents stripped, whitespace collapsed
    exact: str


@value_type
class TokenEntry:
    param: str
    system: str | None
    code: str | None
    text: str | None  # folded display text, for :text


@value_type
class DateEntry:
    param: str
    low: int  # inclusive, microseconds since the epoch, UTC
    high: int  # exclusive


@value_type
class ReferenceEntry:
    param: str
    target_type: str | None
    target_id: str | None
    url: str | None  # absolute or canonical references outside this server


@value_type
class UriEntry:
    param: str
    value: str


@dataclass(slots=True)
class IndexEntries:
    strings: list[StringEntry] = field(default_factory=list)
    tokens: list[TokenEntry] = field(default_factory=list)
    dates: list[DateEntry] = field(default_factory=list)
    references: list[ReferenceEntry] = field(default_factory=list)
    uris: list[UriEntry] = field(default_factory=list)
    present: set[str] = field(default_factory=set)  # params with at least one value
    # The smallest value of each present param, what ``_sort`` orders by.
    sort_keys: dict[str, str | int] = field(default_factory=dict)
