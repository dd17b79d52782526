"""Fragments of SQL text with their positional arguments, built left to right."""

from __future__ import annotations

from collections.abc import Callable, Hashable
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


@dataclass(slots=True)
class CommonTables:
    """The named subqueries of one statement (its WITH clause), each built once.

    A subquery nested inside another nests the statement's grammar one level deeper,
    and SQLite's parser has a fixed stack: a chain of them overflows it a few levels
    down. Named at the top, each is one level deep however deep the chain.
    """

    tables: list[Sql] = field(default_factory=list)  # each after those it refers to
    names: dict[Hashable, str] = field(default_factory=dict)

    def name(self, key: Hashable, build: Callable[[], Sql]) -> str:
        """The name of the table ``build`` makes, built on the first use of ``key``."""
        name = self.names.get(key)
        if name is None:
            body = build()  # the tables it refers to are added first, so come before it
            name = self.names[key] = f"j{len(self.tables)}"
            self.tables.append(Sql().add(f"{name} AS ({body})", *body.args))
        return name

    def before(self, body: Sql) -> Sql:
        """``body`` as a statement, preceded by the WITH of these tables."""
        if not self.tables:
            return body
        sql = Sql().add("WITH ")
        for i, table in enumerate(self.tables):
            sql.add(f"{', ' if i else ''}{table}", *table.args)
        return sql.add(f" {body}", *body.args)
