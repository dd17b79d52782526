"""Read what a record query asks for, as Patient search parameters.

- QRY^A19 (HL7 v2.3 to v2.5, chapter 3.3.19): QRD-4 is the query id (the tag QAK-1
  echoes), QRD-7 the quantity limit, QRD-8 (XCN) who the query is about: the patient's
  identifier in QRD-8.1, its assigning authority in QRD-8.9 and type in QRD-8.13. The
  authority becomes an identifier system as the ingest mappers make it
  (``MappingConfig``), so no authority means the site's default patient system.
- QBP^Q22 (Find Candidates, v2.5 chapter 3.3.57; IHE PDQ): QPD-1 names the query,
  QPD-2 is its tag, QPD-3 repeats ``@<segment field>^<value>`` pairs
  (``@PID.5.1^SMITH~@PID.7^19800229``); RCP-2 is the quantity limit.

A field the server cannot search by is an error the answer reports (AE with ERR),
never ignored: a query matching more than the sender asked for would disclose more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from hl7.ack import AckError
from hl7.er7 import NULL, Message, Segment
from mappers.codesystems import code_map
from mappers.config import MappingConfig


class QueryKind(StrEnum):
    """The record queries answered here, named by the message type that asks."""

    A19 = "QRY^A19"
    Q22 = "QBP^Q22"


KINDS: Final = {("QRY", "A19"): QueryKind.A19, ("QBP", "Q22"): QueryKind.Q22}
_GENDER: Final = code_map("AdministrativeSex")


class QueryRefusal(Exception):
    """A query that cannot be answered as sent; ``error`` is its ERR content."""

    def __init__(self, error: AckError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True, slots=True)
class PatientQuery:
    """One record query, read: what to search, how many at most, and how to echo it."""

    kind: QueryKind
    tag: str  # QRD-4 or QPD-2: QAK-1 of the answer
    params: tuple[tuple[str, str], ...]  # Patient search parameters, all to match
    limit: int


def query_kind(message: Message) -> QueryKind | None:
    """The kind of record query a message is, None when it is not one."""
    return KINDS.get((message.message_code, message.trigger_event))


def read_query(message: Message, config: MappingConfig, max_limit: int) -> PatientQuery:
    """The query a QRY^A19 or QBP^Q22 asks; QueryRefusal when it cannot be answered."""
    kind = query_kind(message)
    if kind is QueryKind.A19:
        return _a19(message, config, max_limit)
    if kind is QueryKind.Q22:
        return _q22(message, config, max_limit)
    raise QueryRefusal(
        AckError(f"{message.message_code}^{message.trigger_event} is no query", "200")
    )


def _a19(message: Message, config: MappingConfig, max_limit: int) -> PatientQuery:
    qrd = message.segment("QRD")
    if qrd is None:
        raise QueryRefusal(AckError("A QRY^A19 needs a QRD segment", "100", "QRD^1"))
    value = _valued(qrd.get(8, 1))
    if not value:
        raise QueryRefusal(
            AckError(
                "QRD-8 (who subject filter) must give the patient's identifier", "101", "QRD^1^8"
            )
        )
    system = config.identifier_system(
        _valued(qrd.get(8, 9, 1)) or None,
        _valued(qrd.get(8, 9, 2)) or None,
        type_code=_valued(qrd.get(8, 13)) or None,
    )
    limit = _quantity(qrd, 7, "QRD^1^7", max_limit)
    _, token = _identifier(value, "QRD^1^8")
    return PatientQuery(QueryKind.A19, qrd.get(4), (("identifier", f"{system}|{token}"),), limit)


def _q22(message: Message, config: MappingConfig, max_limit: int) -> PatientQuery:
    qpd = message.segment("QPD")
    if qpd is None:
        raise QueryRefusal(AckError("A QBP^Q22 needs a QPD segment", "100", "QPD^1"))
    params: list[tuple[str, str]] = []
    authority: dict[int, str] = {}
    for number, rep in enumerate(qpd.reps(3), start=1):
        path = rep[0][0].strip().removeprefix("@") if rep and rep[0] else ""
        value = _valued(rep[1][0]) if len(rep) > 1 and rep[1] else ""
        location = f"QPD^1^3^{number}"
        if path in _AUTHORITY:
            authority[_AUTHORITY[path]] = value
            continue
        reader = _FIELDS.get(path)
        if reader is None:
            raise QueryRefusal(
                AckError(f"Cannot search by {path or '(no field)'}", "103", location)
            )
        if value:
            params.append(reader(value, location))
    if not params:
        raise QueryRefusal(AckError("QPD-3 gives no search criteria", "101", "QPD^1^3"))
    if authority:
        params = [_with_system(p, authority, config) for p in params]
    limit = _quantity(message.segment("RCP"), 2, "RCP^1^2", max_limit)
    return PatientQuery(QueryKind.Q22, qpd.get(2), tuple(params), limit)


def search_text(value: str) -> str:
    """A value as one FHIR search value: ``\\``, ``,`` and ``$`` escaped (search.html#escaping)."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("$", "\\$")


def _valued(value: str) -> str:
    return "" if value == NULL else value.strip()


def _quantity(segment: Segment | None, field: int, location: str, max_limit: int) -> int:
    """A CQ quantity limit (records), capped at ``max_limit``; absent: ``max_limit``."""
    raw = _valued(segment.get(field)) if segment is not None else ""
    if not raw:
        return max_limit
    if not raw.isdigit() or int(raw) < 1:
        raise QueryRefusal(
            AckError(f"The quantity limit {raw!r} is not a positive number", "102", location)
        )
    return min(int(raw), max_limit)


def _birthdate(value: str, location: str) -> tuple[str, str]:
    digits = value[:8]
    if len(digits) < 8 or not digits.isdigit():
        raise QueryRefusal(AckError(f"{value!r} is not a date (YYYYMMDD)", "102", location))
    return "birthdate", f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}"


def _gender(value: str, location: str) -> tuple[str, str]:
    code = _GENDER.code(value)
    if code is None:
        raise QueryRefusal(
            AckError(f"{value!r} is not an administrative sex (0001)", "103", location)
        )
    return "gender", code


def _identifier(value: str, location: str) -> tuple[str, str]:
    # In a token "|" separates system and code: one inside the identifier is escaped so it
    # stays part of the code.
    return "identifier", search_text(value).replace("|", "\\|")


def _string(name: str) -> Callable[[str, str], tuple[str, str]]:
    def read(value: str, location: str) -> tuple[str, str]:
        return name, search_text(value)

    return read


# QPD-3 field paths -> Patient search parameters.
_FIELDS: Final[dict[str, Callable[[str, str], tuple[str, str]]]] = {
    "PID.3": _identifier,
    "PID.3.1": _identifier,
    "PID.5": _string("family"),
    "PID.5.1": _string("family"),
    "PID.5.1.1": _string("family"),
    "PID.5.2": _string("given"),
    "PID.7": _birthdate,
    "PID.7.1": _birthdate,
    "PID.8": _gender,
    "PID.11.3": _string("address-city"),
    "PID.11.4": _string("address-state"),
    "PID.11.5": _string("address-postalcode"),
}
# PID-3.4 (HD namespace id / universal id) narrows the identifier to one system.
_AUTHORITY: Final = {"PID.3.4": 1, "PID.3.4.1": 1, "PID.3.4.2": 2}


def _with_system(
    param: tuple[str, str], authority: dict[int, str], config: MappingConfig
) -> tuple[str, str]:
    name, value = param
    if name != "identifier":
        return param
    system = config.identifier_system(authority.get(1) or None, authority.get(2) or None)
    return name, f"{system}|{value}"
