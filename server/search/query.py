"""A parsed search as the stores receive it: conditions on index entries, AND of ORs.

The parser (``server.search.parse``) builds these from request parameters; each store
compiles them to its own indexed query (``server.storage.sqlite.search``,
``server.storage.mongo.search``). Values here are already normalized (folded
strings, microsecond date ranges, split references), never raw user text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class StringMatch(StrEnum):
    PREFIX = "prefix"  # default: starts with, case- and accent-insensitive
    EXACT = "exact"
    CONTAINS = "contains"


class DateOp(StrEnum):
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    GT = "gt"
    LE = "le"
    GE = "ge"
    SA = "sa"
    EB = "eb"
    AP = "ap"


class UriMatch(StrEnum):
    EQ = "eq"
    BELOW = "below"
    ABOVE = "above"


@dataclass(frozen=True, slots=True)
class StringCond:
    param: str
    match: StringMatch
    value: str  # folded for PREFIX/CONTAINS, verbatim for EXACT


@dataclass(frozen=True, slots=True)
class TokenCond:
    """A token match; ``system`` ``""`` means "no system" (``|code``), None means any."""

    param: str
    system: str | None
    code: str | None
    text: str | None = None  # :text, folded prefix of the display text


# The longest span one date/dateTime/instant value covers (a year, leap or not).
_YEAR_US = 366 * 24 * 3600 * 1_000_000


@dataclass(frozen=True, slots=True)
class DateCond:
    """A date prefix and the search range; ``point`` when the values are never Periods."""

    param: str
    op: DateOp
    low: int
    high: int
    point: bool = False

    def low_bounds(self, widest: int | None = None) -> tuple[int | None, int | None]:
        """[first, end) that the ``low`` of every matching value lies in, where known.

        These are implied by the prefix, so adding them changes no answer; they turn an
        open-ended comparison into a range an index on ``low`` can serve. ``widest`` is
        an upper bound of ``high - low`` over the stored values when the store keeps one
        (a birth date is a day wide, not a year), which narrows that range.
        """
        span = widest if widest is not None else _YEAR_US if self.point else None
        slack = None if span is None else self.low - span
        return {
            DateOp.EQ: (self.low, self.high),
            DateOp.NE: (None, None),
            DateOp.GT: (None if span is None else self.high - span, None),
            DateOp.LT: (None, self.low),
            DateOp.GE: (slack, None),
            DateOp.LE: (None, self.high),
            DateOp.SA: (self.high, None),
            DateOp.EB: (None, self.low),
            DateOp.AP: (slack, self.high),
        }[self.op]


@dataclass(frozen=True, slots=True)
class DateAllCond:
    """Several date conditions that one value must meet together (a one-valued parameter)."""

    param: str
    parts: tuple[DateCond, ...]

    def low_bounds(self, widest: int | None = None) -> tuple[int | None, int | None]:
        bounds = [p.low_bounds(widest) for p in self.parts]
        firsts = [f for f, _ in bounds if f is not None]
        ends = [e for _, e in bounds if e is not None]
        return (max(firsts) if firsts else None, min(ends) if ends else None)


@dataclass(frozen=True, slots=True)
class ReferenceCond:
    """A reference to (type, id) inside this server, any type when None, or an outside URL."""

    param: str
    target_type: str | None
    target_id: str | None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class UriCond:
    param: str
    match: UriMatch
    value: str
    candidates: tuple[str, ...] = ()  # :above: the prefixes of value that may match


@dataclass(frozen=True, slots=True)
class MissingCond:
    param: str
    missing: bool


@dataclass(frozen=True, slots=True)
class ChainCond:
    """``param.chained=value``: references through ``param`` to targets matching ``inner``."""

    param: str
    target_type: str
    inner: tuple[Clause, ...]


@dataclass(frozen=True, slots=True)
class HasCond:
    """``_has:T:param:...``: resources that some T references (through param) and T matches."""

    source_type: str
    param: str
    inner: tuple[Clause, ...]


@dataclass(frozen=True, slots=True)
class AllOfCond:
    """Resources meeting every one of ``inner``: one arm of an OR of ANDs.

    Access control ORs the granular criteria of several scopes (server.auth.access),
    each criteria an AND of clauses; request parameters never build one.
    """

    inner: tuple[Clause, ...]


Condition = (
    StringCond
    | TokenCond
    | DateCond
    | DateAllCond
    | ReferenceCond
    | UriCond
    | MissingCond
    | ChainCond
    | HasCond
    | AllOfCond
)


@dataclass(frozen=True, slots=True)
class Clause:
    """One search parameter occurrence: any of ``any_of`` matches (comma = OR).

    ``negate`` (``:not``) matches resources with no value matching any of them.
    """

    any_of: tuple[Condition, ...]
    negate: bool = False


@dataclass(frozen=True, slots=True)
class SortKey:
    param: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What a store is asked: one page of current resources of a type matching every clause."""

    resource_type: str
    clauses: tuple[Clause, ...] = ()
    sort: tuple[SortKey, ...] = ()
    count: int = 20
    cursor: str | None = None
    with_total: bool = False
