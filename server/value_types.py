"""Immutable value records that are cheap to make, for those made per request and per row.

A ``frozen=True`` dataclass sets each field in ``__init__`` through
``object.__setattr__`` (its own ``__setattr__`` refuses), several times the cost of a
plain slot assignment; a stored version, a write and every search index entry are made
for each request, each row read and each value indexed. ``value_type`` makes a slots
dataclass with a frozen dataclass's equality and hash whose ``__init__`` assigns its
slots directly, and declares it frozen to type checkers (PEP 681's ``frozen_default``):
assigning to a field stays a type error; only at run time is nothing refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True)
def value_type(cls: type[T]) -> type[T]:
    """The class as a slots dataclass with value equality and hash, frozen for mypy."""
    return dataclass(slots=True, unsafe_hash=True)(cls)
