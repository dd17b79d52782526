"""Random hex for ids (request ids, resource ids), cut from a buffer of system randomness.

``os.urandom`` (and ``uuid4``, ``secrets``, which call it) lets go of the GIL around its
``getrandom`` system call. On a server whose SQLite threads hold the GIL meanwhile, the
event loop then waits to take it back, once per id: that wait, not the call, is the cost.
The buffer is refilled from ``os.urandom`` once every few hundred ids, so the bytes are
the system's randomness as before; a forked child drops its parent's buffer.
"""

from __future__ import annotations

import os
import threading
from typing import Final

_REFILL: Final = 4096  # bytes read from the system at once

_lock = threading.Lock()
_buffer = b""
_taken = 0


def random_hex(nbytes: int) -> str:
    """Return ``nbytes`` random bytes as ``2 * nbytes`` lowercase hex digits."""
    global _buffer, _taken
    with _lock:
        if _taken + nbytes > len(_buffer):
            _buffer, _taken = os.urandom(max(_REFILL, nbytes)), 0
        start = _taken
        _taken += nbytes
        return _buffer[start:_taken].hex()


def _forget_after_fork() -> None:
    global _buffer, _lock, _taken
    _lock = threading.Lock()
    _buffer, _taken = b"", 0


os.register_at_fork(after_in_child=_forget_after_fork)
