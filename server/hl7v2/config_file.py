"""Read an HL7v2 site file (senders, vocabularies, outbound feed): JSON if it is named
``.json``, YAML otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import yaml


class ConfigFileError(ValueError):
    """The file cannot be read or parsed; the message names the file and the reason."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def read_config_file(path: Path) -> Any:
    """The document a YAML or JSON file holds."""
    try:
        data = path.read_bytes()
        if path.suffix.lower() == ".json":
            return orjson.loads(data)
        return yaml.safe_load(data)
    except (OSError, UnicodeDecodeError, orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigFileError(path, str(exc)) from None
