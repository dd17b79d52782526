"""Read the site's vocabulary file (``--vocab FILE`` / ``FHIRPORT_HL7_VOCAB``), YAML or JSON.

    senders:
      - application: LEGACYEHR      # MSH-3; "*" or left out: any application
        facility: NORTHCLINIC       # MSH-4; "*" or left out: any facility
        tables:
          "0001": {"1": M, "2": F}  # HL7 table -> local code -> the table's code

Every target must be a code of its table (``mappers/tables/v2-tables.json``): a typo in
the file is an error when it is read, not a wrong code in thousands of resources.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mappers.config import MappingConfig
from mappers.vocabulary import ANY, TABLES, Vocabulary, table_codes
from server.hl7v2.config_file import ConfigFileError, read_config_file
from server.settings import Settings


class VocabularyFileError(ValueError):
    """The vocabulary file cannot be read or says something that cannot be right."""


def mapping_config(settings: Settings) -> MappingConfig:
    """The mappers' site configuration for these settings (with the vocabulary file's maps)."""
    if settings.hl7_vocab is None:
        return MappingConfig()
    return MappingConfig(vocabulary=load_vocabulary(settings.hl7_vocab))


def load_vocabulary(path: Path) -> Vocabulary:
    """Read and check a vocabulary file."""
    try:
        document = read_config_file(path)
    except ConfigFileError as exc:
        raise VocabularyFileError(str(exc)) from None
    senders = document.get("senders") if isinstance(document, dict) else None
    if not isinstance(senders, list):
        raise VocabularyFileError(f"{path}: expected a list under 'senders'")
    entries: dict[tuple[str, str, str], dict[str, str]] = {}
    for number, sender in enumerate(senders, 1):
        where = f"{path}: senders[{number}]"
        if not isinstance(sender, dict) or not isinstance(sender.get("tables"), dict):
            raise VocabularyFileError(f"{where}: expected application, facility and tables")
        scope = (_text(sender.get("application")) or ANY, _text(sender.get("facility")) or ANY)
        for table_name, codes in sender["tables"].items():
            table = _table(table_name, where)
            if not isinstance(codes, dict):
                raise VocabularyFileError(f"{where}.tables.{table}: expected local code: code")
            local = entries.setdefault((*scope, table), {})
            for code, target in codes.items():
                local[_text(code).upper()] = _target(table, _text(target), f"{where}.{table}")
    return Vocabulary(entries)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _table(name: Any, where: str) -> str:
    """Return the table a key names: "0001", "HL70001", or 1 (YAML's reading of 0001)."""
    text = _text(name).upper().removeprefix("HL7")
    table = text.zfill(4) if text.isdigit() else text
    if table not in TABLES:
        known = ", ".join(sorted(TABLES))
        raise VocabularyFileError(f"{where}: table {name!r} is not one of {known}")
    return table


def _target(table: str, code: str, where: str) -> str:
    standard = table_codes(table).standard(code)
    if standard is None:
        raise VocabularyFileError(f"{where}: {code!r} is not a code of HL7 table {table}")
    return standard
