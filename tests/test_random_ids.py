"""Random ids (request ids, resource ids) from a buffer of the system's randomness.

``os.urandom`` lets go of the GIL for its system call; on a server whose SQLite threads
are busy, taking it back made every request wait. Ids are cut from a buffer refilled
now and then instead, still from the system's randomness.
"""

from __future__ import annotations

import os
import re

import pytest

from server.interactions import new_id
from server.random_ids import random_hex


def test_ids_are_hex_of_the_asked_length_and_distinct() -> None:
    ids = [random_hex(16) for _ in range(5000)]

    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_many_ids_take_few_calls_to_the_system(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    real = os.urandom

    def counted(n: int) -> bytes:
        nonlocal calls
        calls += 1
        return real(n)

    monkeypatch.setattr(os, "urandom", counted)

    for _ in range(1000):
        random_hex(16)
        new_id()

    assert calls <= 10


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    random_hex(4)  # the buffer is filled before the fork
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.write(write, random_hex(16).encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)

    assert child != random_hex(16)
