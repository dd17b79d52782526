"""Value types: what a frozen dataclass promises (equality, hash, pickling, replace), made
without ``object.__setattr__`` per field, the cost that made them worth having."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from server.search.index_entries import DateEntry, ReferenceEntry, TokenEntry
from server.storage.port import Method, StoredVersion, Write


def _version(version: int = 1) -> StoredVersion:
    return StoredVersion("Patient", "p1", version, 1_780_000_000_000_000, Method.POST, b"{}")


def test_values_compare_hash_pickle_and_replace_as_frozen_dataclasses_do() -> None:
    assert _version() == _version()
    assert hash(_version()) == hash(_version())
    assert _version() != _version(2)
    assert len({TokenEntry("a", None, "b", None), TokenEntry("a", None, "b", None)}) == 1
    write = Write(_version(), 0, None)
    assert pickle.loads(pickle.dumps(write)) == write
    assert dataclasses.replace(_version(), version=3).version == 3
    assert not hasattr(_version(), "__dict__")  # slots: no per-instance dict


@pytest.mark.parametrize("cls", [StoredVersion, Write, TokenEntry, ReferenceEntry, DateEntry])
def test_values_are_made_without_frozen_setattr(cls: type) -> None:
    # A frozen dataclass's __init__ sets each field through object.__setattr__; these
    # are made per request and per index row, so their __init__ assigns slots instead,
    # and only the type checker holds them frozen.
    assert not cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert "object.__setattr__" not in _init_source(cls)


def _init_source(cls: type) -> str:
    code = cls.__init__.__code__  # type: ignore[misc]
    return " ".join(code.co_names)
