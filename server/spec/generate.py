"""Write ``server/spec/generated/`` from the FHIR R4 definition files.

    python -m server.spec.generate [--spec-dir ../shared/spec/fhir-r4] [--out-dir DIR]

The types are exactly the registry's held types (``server.registry.HELD_TYPES``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from server.registry import HELD_TYPES
from server.spec import bindings, compartment, search_parameters
from server.spec.sources import SpecDir, SpecError

REPOSITORY = Path(__file__).resolve().parents[2]
DEFAULT_SPEC_DIR = REPOSITORY.parent / "shared" / "spec" / "fhir-r4"
GENERATED_DIR = Path(__file__).resolve().parent / "generated"

GENERATORS: dict[str, Callable[[SpecDir, Iterable[str]], bytes]] = {
    "search-parameters.json": search_parameters.generate,
    "compartment-patient.json": compartment.generate,
    "required-bindings.json": bindings.generate,
}


def generate(spec_dir: Path) -> dict[str, bytes]:
    """Each generated file's name and bytes, for the registry's held types."""
    spec = SpecDir(spec_dir)
    return {name: make(spec, HELD_TYPES) for name, make in GENERATORS.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.spec.generate", description=__doc__)
    parser.add_argument("--spec-dir", type=Path, default=DEFAULT_SPEC_DIR)
    parser.add_argument("--out-dir", type=Path, default=GENERATED_DIR)
    args = parser.parse_args(argv)
    try:
        files = generate(args.spec_dir)
    except (SpecError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (args.out_dir / name).write_bytes(content)
        print(f"wrote {args.out_dir / name} ({len(content)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
