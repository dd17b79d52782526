"""Measure parse + map time per message (not a test): ``python -m tests.mappers.measure_mapping``.

Prints the best of several runs for a typical ADT^A04 (PID, PV1, IN1) and for every
in-scope corpus message, with the date caches cleared before each message so repeated
timestamps do not flatter the figure.
"""

from __future__ import annotations

import timeit

from hl7.er7 import parse
from mappers import MappingConfig, UnsupportedMessage, map_message
from mappers.datetimes import clear_caches
from server.registry import hl7v2_write_order
from tests.corpus import CORPUS
from tests.mappers.messages import er7, seg

A04 = er7(
    "MSH|^~\\&|REG|HOSP|FHIRPORT|HOSP|20240131083000-0500||ADT^A04^ADT_A01|MSG001|P|2.5.1",
    "EVN|A04|20240131083000-0500",
    "PID|1||MRN12345^^^HOSP^MR~123-45-6789^^^USSSA^SS||DOE^JANE^Q^^MS||19800101|F|||"
    "123 MAIN ST^APT 4^SPRINGFIELD^IL^62701^USA^H||(217)555-0101^PRN^PH|(217)555-0199^WPN^PH"
    "|eng^English^HL70296|M^Married^HL70002|||123-45-6789",
    "PV1|1|O|CLINIC^101^A^HOSP||||1234^SMITH^JOHN^^^DR^MD^^NPI",
    seg(
        "IN1",
        {
            1: "1",
            2: "GOLD^Gold Plan",
            3: "ACME01^^^PAYERS^NIIP",
            4: "ACME HEALTH",
            8: "GRP-778",
            12: "20240101",
            13: "20241231",
            16: "DOE^JANE",
            17: "SEL",
            36: "POL-1",
            49: "MEM-0001^^^ACME^MB",
        },
    ),
)


def per_message_ms(text: str, config: MappingConfig, number: int = 500) -> float:
    """Return the best-of-5 time to parse and map ``text``, in milliseconds."""

    def once() -> None:
        clear_caches()
        map_message(parse(text), config, write_order=hl7v2_write_order())

    return min(timeit.repeat(once, number=number, repeat=5)) / number * 1e3


def main() -> None:
    config = MappingConfig()
    print(f"ADT^A04 (PID, PV1, IN1): {per_message_ms(A04, config, 2000):.3f} ms parse + map")
    for path in sorted(CORPUS.glob("*.hl7")):
        text = path.read_text(encoding="utf-8-sig")
        try:
            map_message(parse(text), config, write_order=hl7v2_write_order())
        except UnsupportedMessage:
            continue
        print(f"{path.name:20} {per_message_ms(text, config, 200):.3f} ms")


if __name__ == "__main__":
    main()
