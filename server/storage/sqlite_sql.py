"""A fragment of SQL text with its positional arguments, built left to right."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Sql:
    """SQL text in pieces and the ``?`` arguments in the order the pieces use them."""

    text: list[str] = field(default_factory=list)
    args: list[Any] = field(default_factory=list)

    def add(self, text: str, *args: Any) -> Sql:
        self.text.append(text)
        self.args.extend(args)
        return self

    def __str__(self) -> str:
        return "".join(self.text)
