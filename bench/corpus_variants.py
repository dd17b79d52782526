"""Copies of the public corpus's in-scope messages, each with identities of its own.

The generated archive's messages are sparse (about 550 bytes each); interfaces send
denser ones: the corpus's ADT^A04 messages are 2.8 and 8.6 KB, with repetitions,
sub-components, PV2, OBX and PRT segments. To measure at that density, every corpus
message of the benchmark's types is copied over and over with the fields that key its
resources made unique per copy (MSH-10; PID-3 and PID-18, the patient and account;
IN1-36 and IN1-49, the card; SCH-1 and SCH-2, the appointment; FT1-2, the charge), so
that each copy makes resources of its own instead of finding the previous copy's
unchanged (and waiting for its commit: the writes of one resource are applied in order).
"""

from __future__ import annotations

from pathlib import Path

from hl7.batch import split_messages
from hl7.er7 import ParseError, parse

# The public sample messages kept in the repository (fixtures/hl7v2/corpus/README.md).
CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "hl7v2" / "corpus"
BENCH_EVENTS = frozenset({"ADT^A04", "ADT^A08", "SIU^S12", "DFT^P03"})
# (segment, field) whose first repetition's first component becomes unique per copy.
_KEYS = frozenset(
    {("PID", 3), ("PID", 18), ("IN1", 36), ("IN1", 49), ("SCH", 1), ("SCH", 2), ("FT1", 2)},
)


def corpus_messages(folder: Path) -> list[str]:
    """The corpus's messages of the benchmark's types, segments separated by CR."""
    found: list[str] = []
    for path in sorted(folder.glob("*.hl7")):
        for raw in split_messages(path.read_bytes()):
            try:
                message = parse(raw.data)
            except ParseError:
                continue
            if f"{message.message_code}^{message.trigger_event}" in BENCH_EVENTS:
                text = raw.data.decode("utf-8", "replace")
                found.append(
                    "\r".join(
                        s for s in text.replace("\r\n", "\r").replace("\n", "\r").split("\r") if s
                    )
                )
    return found


def variant(message: str, copy: int) -> str:
    """``message`` with its keys (and MSH-10) suffixed by ``copy``."""
    field_sep = message[3]
    component_sep, repetition_sep = message[4], message[5]
    suffix = f"V{copy}"
    segments = []
    for segment in message.split("\r"):
        fields = segment.split(field_sep)
        name = fields[0]
        if name == "MSH" and len(fields) > 9:
            fields[9] += f"-{suffix}"  # MSH-10: the separator itself is MSH-1
        for index in range(1, len(fields)):
            if (name, index) in _KEYS and fields[index]:
                repetitions = fields[index].split(repetition_sep)
                components = repetitions[0].split(component_sep)
                components[0] += suffix
                repetitions[0] = component_sep.join(components)
                fields[index] = repetition_sep.join(repetitions)
        segments.append(field_sep.join(fields))
    return "\r".join(segments)


def write_variants(folder: Path, target: int, out: Path) -> int:
    """Write ``target`` copies, taking the corpus messages in turn; return how many."""
    originals = corpus_messages(folder)
    if not originals:
        raise SystemExit(f"{folder}: no {', '.join(sorted(BENCH_EVENTS))} messages")
    out.mkdir(parents=True, exist_ok=True)
    texts = (variant(originals[i % len(originals)], i // len(originals)) for i in range(target))
    with (out / "corpus-variants.hl7").open("w", encoding="utf-8", newline="") as file:
        for text in texts:
            file.write(text + "\r\n")
    return target
