"""Read an HL7v2 site file (senders, vocabularies, outbound feed): JSON if it is named
``.json``, YAML otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import orjson
import yaml
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)


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


def read_model(path: Path, model: type[Model], what: str) -> Model:
    """The file's document checked against ``model``; ConfigFileError in one line that
    says which file, what it is meant to be, and every problem with where it is."""
    try:
        content = read_config_file(path)
    except ConfigFileError as exc:
        reason = " ".join(exc.reason.split())  # YAML's reasons span lines, with a caret
        raise ConfigFileError(path, f"cannot read the {what}: {reason}") from None
    try:
        return model.model_validate(content)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigFileError(path, f"invalid {what}: {problems}") from None
