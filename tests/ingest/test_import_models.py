"""The importing process of an import with workers does not load the FHIR models: the
workers validate what they map, and the importer validates only the few bodies it builds
itself (a merge), whose models it loads when it needs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from server.registry import HELD_TYPES
from tests.ingest.messages import ARCHIVE

_RUN = """
import asyncio, sys
from server.hl7v2.ingest.importer import ImportOptions, expand_paths, run_import
from server.registry import model_class

if __name__ == "__main__":
    files = expand_paths([sys.argv[1]])
    options = ImportOptions(workers=int(sys.argv[3]))
    report = asyncio.run(run_import(files, sys.argv[2], options))
    print(report.totals()["messages"], model_class.cache_info().currsize)
"""


def _import(tmp_path: Path, workers: int) -> tuple[int, int]:
    script = tmp_path / "run.py"
    script.write_text(_RUN)
    store = f"sqlite:///{tmp_path / f'w{workers}.sqlite3'}"
    done = subprocess.run(
        [sys.executable, str(script), str(ARCHIVE), store, str(workers)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    messages, models = done.stdout.split()
    return int(messages), int(models)


def test_an_import_with_workers_leaves_the_models_to_them(tmp_path: Path) -> None:
    messages, models = _import(tmp_path, workers=2)

    assert messages > 200
    assert models < len(HELD_TYPES)  # those of the bodies it built (merges, retired kin)


def test_an_import_without_workers_loads_them_up_front(tmp_path: Path) -> None:
    messages, models = _import(tmp_path, workers=1)

    assert messages > 200
    assert models >= len(HELD_TYPES)
