"""ER7 parsing benchmark: fhirport's hl7.er7.parse against hl7apy's parse_message.

    .venv/bin/python bench/hl7_parse.py [--rounds 5] [--hl7apy-rounds 1] [--corpus DIR]

Two message sets, each parsed by both parsers in the same run, one core:
- "adt5": 1,000 generated 5-segment ADT^A04 messages (MSH, EVN, PID, PV1, IN1), the
  shape the ingest path sees most;
- "corpus": the public fhir-converter samples (97 messages of 3 to 40 segments).

For fhirport two figures are measured: parse() alone (segments split, fields left for
later) and parse() plus reading the 12 values a Patient mapper reads (what ingest
pays). hl7apy runs with tolerant validation, once with its default find_groups=True
(which drops Z segments) and once with find_groups=False (flat, keeps every segment).
Target: parse() well under 0.3 ms for a 5-segment ADT, so that ingest can reach 1,000
messages/s end to end. Results go to bench/results/hl7_parse.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus_variants import CORPUS
from hl7.er7 import parse

RESULTS = Path(__file__).resolve().parent / "results"
FAMILIES = ["Smith", "García", "O'Brien", "Nguyen", "Müller", "Kowalski", "Okafor", "Haddad"]
GIVEN = ["Ann", "José", "Li", "Fatima", "Jean-Luc", "Priya", "Olu", "Zoë"]


def generated_adt(n: int) -> list[str]:
    """n distinct 5-segment ADT^A04 messages in v2.5.1."""
    messages = []
    for i in range(n):
        family, given = FAMILIES[i % len(FAMILIES)], GIVEN[(i // 3) % len(GIVEN)]
        messages.append(
            "\r".join(
                [
                    f"MSH|^~\\&|LEGACY|GENHOSP|FHIRPORT|MIGRATION|20240131{i % 86400:06d}||"
                    f"ADT^A04^ADT_A01|MSG{i:08d}|P|2.5.1",
                    f"EVN|A04|20240131{i % 86400:06d}",
                    f"PID|1||MRN{i:07d}^^^GENHOSP&1.2.840.114350&ISO^MR~{i:09d}^^^SSA^SS||"
                    f"{family}^{given}^Q^^Dr||19{50 + i % 50}0{1 + i % 9}1{i % 10}|"
                    f"{'MFU'[i % 3]}|||{i} Main St^Apt {i % 40}^Springfield^IL^627{i % 100:02d}^USA"
                    f"||555-{i % 10000:04d}^PRN^PH",
                    f"PV1|1|O|CLINIC^{i % 30}^1^GENHOSP||||1234^Welby^Marcus^^^Dr|||MED",
                    f"IN1|1|PLAN{i % 7}|PAYER{i % 5}^^^GENHOSP|Payer {i % 5} Insurance|||||"
                    f"GRP{i % 11}||||20240101|20241231|||{family}^{given}|SEL|||||||||||||||||"
                    f"||||MEM{i:07d}",
                ]
            )
        )
    return messages


def read_a_patient(text: str) -> None:
    """parse() plus the reads a Patient mapper makes (the cost ingest really pays)."""
    message = parse(text)
    _ = (message.structure, message.control_id, message.timestamp, message.sending_application)
    pid = message.segment("PID")
    if pid is not None:
        for rep in pid.reps(3):
            _ = (rep[0][0], rep[3][0] if len(rep) > 3 else "")
        _ = (pid.get(5, 1), pid.get(5, 2), pid.get(7), pid.get(8), pid.get(11, 1), pid.get(13))


def per_message_seconds(fn: Callable[[str], object], messages: list[str], rounds: int) -> float:
    """Best of ``rounds`` passes over all messages, in seconds per message."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for text in messages:
            fn(text)
        best = min(best, (time.perf_counter() - start) / len(messages))
    return best


def hl7apy_parser(*, find_groups: bool) -> Callable[[str], object]:
    from hl7apy.consts import VALIDATION_LEVEL
    from hl7apy.parser import parse_message

    def run(text: str) -> object:
        return parse_message(
            text, find_groups=find_groups, validation_level=VALIDATION_LEVEL.TOLERANT
        )

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--hl7apy-rounds", type=int, default=1)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # hl7apy warns about unknown fields in v2.8 messages

    sets = {"adt5": generated_adt(1000)}
    corpus = sorted(args.corpus.glob("*.hl7"))
    if corpus:
        sets["corpus"] = [
            p.read_bytes().decode("utf-8-sig").replace("\r\n", "\r").replace("\n", "\r")
            for p in corpus
        ]
    apy = hl7apy_parser(find_groups=True)
    apy_flat = hl7apy_parser(find_groups=False)
    report: dict[str, object] = {"python": platform.python_version(), "sets": {}}
    for name, messages in sets.items():
        ours = per_message_seconds(parse, messages, args.rounds)
        ours_read = per_message_seconds(read_a_patient, messages, args.rounds)
        theirs = per_message_seconds(apy, messages, args.hl7apy_rounds)
        theirs_flat = per_message_seconds(apy_flat, messages, args.hl7apy_rounds)
        row = {
            "messages": len(messages),
            "fhirport_parse_us": round(ours * 1e6, 1),
            "fhirport_parse_and_read_us": round(ours_read * 1e6, 1),
            "hl7apy_parse_us": round(theirs * 1e6, 1),
            "hl7apy_flat_parse_us": round(theirs_flat * 1e6, 1),
            "fhirport_parse_per_s": round(1 / ours),
            "fhirport_parse_and_read_per_s": round(1 / ours_read),
            "hl7apy_parse_per_s": round(1 / theirs, 1),
            "speedup_parse": round(theirs / ours, 1),
            "speedup_parse_and_read": round(theirs / ours_read, 1),
        }
        report["sets"][name] = row  # type: ignore[index]
        print(f"{name}: {json.dumps(row)}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hl7_parse.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
