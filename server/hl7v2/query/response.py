"""Render the answer to a record query: ADR^A19 or RSP^K22, as ER7 text.

The header and MSA (and ERR) are the acknowledgement's (``hl7.ack``: sender and
receiver swapped, the query's version, delimiters and charset, MSA-2 its control id)
with MSH-9 the answer's type. Then, HL7 v2.5 chapters 3.3.19 and 3.3.57:

    ADR^A19  MSH MSA [ERR] [QAK] QRD [QRF] { PID PV1 [{IN1}] }
    RSP^K22  MSH MSA [ERR] QAK QPD { PID }

QAK (query tag, table 0208 status OK / NF / AE / AR, the query's name for QBP) exists
from v2.3 on, so an older QRY^A19 is answered with the QRD echo alone; QAK-4..6 (hit
counts) exist from v2.4 on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from itertools import takewhile
from typing import Final

from hl7.ack import AckCode, AckError, build_ack
from hl7.er7 import Message
from hl7.escapes import escape
from server.hl7v2.query.criteria import QueryKind


class QueryStatus(StrEnum):
    """QAK-2, query response status (HL7 table 0208)."""

    OK = "OK"  # data found, no errors
    NF = "NF"  # no data found, no errors
    AE = "AE"  # application error
    AR = "AR"  # application reject


ANSWER_TYPES: Final = {
    QueryKind.A19: ("ADR", "A19", "ADR_A19"),
    QueryKind.Q22: ("RSP", "K22", "RSP_K21"),
}
ECHOED: Final = {QueryKind.A19: ("QRD", "QRF"), QueryKind.Q22: ("QPD",)}
_QAK_FROM: Final = (2, 3)
_HIT_COUNTS_FROM: Final = (2, 4)
_STRUCTURE_FROM: Final = (2, 3, 1)


def _version(message: Message) -> tuple[int, ...]:
    return tuple(int(p) for p in takewhile(str.isdigit, message.version.split(".")))


def answer_text(
    original: Message,
    kind: QueryKind,
    status: QueryStatus,
    body: Sequence[str],
    *,
    tag: str,
    control_id: str,
    now: datetime,
    errors: Sequence[AckError] = (),
) -> str:
    """The answer to ``original``: header, MSA, ERR, QAK, the echoed query, ``body``."""
    encoding = original.encoding
    code = {QueryStatus.AE: AckCode.ERROR, QueryStatus.AR: AckCode.REJECT}.get(
        status, AckCode.ACCEPT
    )
    stamp = now.strftime("%Y%m%d%H%M%S%z")
    header, *acknowledgement = build_ack(
        original, code, errors, control_id=control_id, timestamp=stamp
    ).split("\r")
    fields = header.split(encoding.field)
    version = _version(original)
    answer_type = ANSWER_TYPES[kind] if version >= _STRUCTURE_FROM else ANSWER_TYPES[kind][:2]
    fields[8] = encoding.component.join(answer_type)
    segments = [encoding.field.join(fields), *acknowledgement]
    if version >= _QAK_FROM or kind is QueryKind.Q22:
        qak = ["QAK", escape(tag, encoding), status.value]
        qpd = original.segment("QPD")
        qak.append(qpd.raw_field(1) if kind is QueryKind.Q22 and qpd is not None else "")
        if version >= _HIT_COUNTS_FROM and status in (QueryStatus.OK, QueryStatus.NF):
            hits = str(sum(1 for s in body if s.startswith("PID")))
            qak += [hits, hits, "0"]
        segments.append(encoding.field.join(qak).rstrip(encoding.field))
    segments += [s.raw for s in original.segments if s.name in ECHOED[kind]]
    segments += body
    return "\r".join(segments)
