"""Exempt the FHIR models from garbage collection: they live as long as the process.

fhir.resources' models are some 200,000 long-lived objects: without this every full
collection walks them again, and a busy server or import allocates enough to run many,
which slowed imports, reads and the unpickling of workers' results (bench/RESULTS.md).
Collections of what requests allocate still run, only less often.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from server.registry import HELD_TYPES, model_class

_GC_THRESHOLDS = (20_000, 20, 20)  # allocations between collections, by generation


def settle() -> None:
    """Load the FHIR models, then exempt everything loaded so far from garbage collection."""
    for type_name in HELD_TYPES:
        model_class(type_name)
    gc.freeze()
    gc.set_threshold(*_GC_THRESHOLDS)


@contextmanager
def settled() -> Iterator[None]:
    """``settle`` for the length of the block, then collect as before."""
    previous = gc.get_threshold()
    settle()
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
