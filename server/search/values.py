"""Parse one search parameter value into conditions, by parameter type (search.html).

Each function takes the parameter, its modifier and one OR-alternative of the value,
and returns a condition with normalized values; a malformed value raises
InvalidRequest naming the parameter.
"""

from __future__ import annotations

from collections.abc import Callable

from server.errors import InvalidRequest
from server.fhir.clock import now_us
from server.search.cardinality import point_valued
from server.search.dates import date_range
from server.search.definitions import SearchParam
from server.search.extract import IDENTIFIER, OF_TYPE
from server.search.query import (
    Condition,
    DateCond,
    DateOp,
    ReferenceCond,
    StringCond,
    StringMatch,
    TokenCond,
    UriCond,
    UriMatch,
)
from server.search.references import split_reference
from server.search.text_fold import fold

ValueParser = Callable[[SearchParam, str | None, str, str, tuple[str, ...]], Condition]

# The modifiers each parameter type supports here (besides :missing, valid on all).
MODIFIERS: dict[str, frozenset[str]] = {
    "string": frozenset({"exact", "contains"}),
    "token": frozenset({"not", "text", "of-type"}),
    "date": frozenset(),
    "reference": frozenset({"identifier"}),  # plus :Type, checked against the targets
    "uri": frozenset({"below", "above"}),
}
_AP_FRACTION = 0.1  # ap: within 10% of the distance from now (search.html#prefix)


def split_escaped(value: str, separator: str, *, keep_escapes: bool = False) -> list[str]:
    """Split on ``separator`` except where escaped with a backslash; unescape the parts.

    With ``keep_escapes`` only an escaped separator is unescaped: a token's ``\\|`` must
    survive the comma split to be read by the ``system|code`` split after it.
    """
    if "\\" not in value:  # nothing escaped (nearly every value): the plain split
        return value.split(separator)
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in value:
        if escaped:
            current.append(char if char == separator or not keep_escapes else "\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return parts


def _bad(name: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"Search parameter {name}: {message}", expression=name)


def string_value(
    param: SearchParam, modifier: str | None, value: str, name: str, _: tuple[str, ...]
) -> Condition:
    if modifier == "exact":
        return StringCond(param.code, StringMatch.EXACT, value)
    match = StringMatch.CONTAINS if modifier == "contains" else StringMatch.PREFIX
    folded = fold(value)
    if not folded:
        raise _bad(name, "an empty string matches nothing; leave the parameter out instead")
    return StringCond(param.code, match, folded)


def token_value(
    param: SearchParam, modifier: str | None, value: str, name: str, _: tuple[str, ...]
) -> Condition:
    if modifier == "text":
        return TokenCond(param.code, None, None, text=fold(value))
    parts = split_escaped_pipe(value)
    if modifier == "of-type":
        if len(parts) != 3 or not parts[1] or not parts[2]:
            raise _bad(name, "of-type needs type-system|type-code|value")
        return TokenCond(param.code + OF_TYPE, parts[0] or "", f"{parts[1]}|{parts[2]}")
    if len(parts) == 1:
        if not parts[0]:
            raise _bad(name, "an empty token matches nothing")
        return TokenCond(param.code, None, parts[0])
    if len(parts) != 2:
        raise _bad(name, f"{value!r} is not [system]|[code]")
    system, code = parts
    if not system and not code:
        raise _bad(name, "'|' alone names neither a system nor a code")
    return TokenCond(param.code, system, code or None)


def split_escaped_pipe(value: str) -> list[str]:
    return split_escaped(value, "|")


def date_value(
    param: SearchParam, modifier: str | None, value: str, name: str, _: tuple[str, ...]
) -> Condition:
    op = DateOp.EQ
    text = value
    if len(value) >= 2 and value[:2].isalpha():
        try:
            op = DateOp(value[:2])
        except ValueError:
            raise _bad(name, f"unknown prefix {value[:2]!r}") from None
        text = value[2:]
    try:
        low, high = date_range(text)
    except ValueError:
        raise _bad(name, f"{text!r} is not a date, dateTime or instant") from None
    if op is DateOp.AP:
        now = now_us()
        slack = int(abs(now - low) * _AP_FRACTION)
        low, high = low - slack, high + slack
    return DateCond(param.code, op, low, high, point=point_valued(param.resource_type, param.code))


def reference_value(
    param: SearchParam, modifier: str | None, value: str, name: str, base_urls: tuple[str, ...]
) -> Condition:
    if modifier == "identifier":
        parts = split_escaped_pipe(value)
        system, code = (None, parts[0]) if len(parts) == 1 else (parts[0], parts[1])
        if len(parts) > 2 or not code:
            raise _bad(name, "identifier needs [system|]value")
        return TokenCond(param.code + IDENTIFIER, system, code)
    if not value.strip():
        raise _bad(name, "an empty reference matches nothing")
    if modifier is not None:  # :Type, checked by the caller against the targets
        return ReferenceCond(param.code, modifier, value.split("/")[-1])
    plain = value.strip()
    if "/" not in plain and ":" not in plain:  # a bare id: any target type (or the only one)
        only = param.targets[0] if len(param.targets) == 1 else None
        return ReferenceCond(param.code, only, plain)
    target_type, target_id, url = split_reference(value, base_urls)
    if url is not None or target_id is None:
        return ReferenceCond(param.code, None, None, url or plain)
    return ReferenceCond(param.code, target_type, target_id)


def uri_value(
    param: SearchParam, modifier: str | None, value: str, name: str, _: tuple[str, ...]
) -> Condition:
    if modifier == "below":
        return UriCond(param.code, UriMatch.BELOW, value)
    if modifier == "above":
        cuts = [i for i, c in enumerate(value) if c == "/"]
        candidates = {value[:i] for i in cuts} | {value[: i + 1] for i in cuts} | {value}
        return UriCond(param.code, UriMatch.ABOVE, value, tuple(sorted(candidates)))
    return UriCond(param.code, UriMatch.EQ, value)


VALUE_PARSERS: dict[str, ValueParser] = {
    "string": string_value,
    "token": token_value,
    "date": date_value,
    "reference": reference_value,
    "uri": uri_value,
}
