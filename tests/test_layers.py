"""The import direction between the layers: each may use those below it, never above.

``hl7/`` is the HL7v2 wire layer (ER7, batches, MLLP, ACKs) and knows nothing of the
mapping or the server; ``mappers/`` turns HL7v2 into FHIR and back and knows nothing of the
server; ``server/fhir/``, the FHIR core, knows nothing of HL7v2 (the HL7v2 service builds on
it, not the other way round). Every import is checked, at any depth (a function's local
import too), with relative imports resolved.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(path: Path, root: Path = ROOT) -> set[str]:
    """The absolute names of every module ``path`` imports (``from a import b``: a and a.b)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package.pop()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _violations(folder: str, forbidden: tuple[str, ...], root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted((root / folder).rglob("*.py")):
        for name in sorted(_imported(path, root)):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(root)} imports {name}")
    return found


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("hl7", ("server", "mappers")),
        ("mappers", ("server",)),
        # The FHIR core (CapabilityStatement, validation) reads the registry, not HL7v2.
        ("server/fhir", ("server.hl7v2", "hl7", "mappers")),
        # Access, the application services and the REST semantics are used by the HTTP
        # layer (and by the importers, which have none): they never reach up into it.
        *(
            (folder, ("server.api", "server.app", "server.cli"))
            for folder in (
                "server/auth",
                "server/audit",
                "server/transactions",
                "server/integrity",
                "server/everything",
                "server/operations",
                "server/bulk",
                "server/fhir_import",
                "server/scheduling",
                "server/scrub",
                "server/consent",
                "server/roi",
                "server/hl7v2",
                "server/storage",
                "server/search",
            )
        ),
    ],
)
def test_layer_imports_only_what_is_below_it(folder: str, forbidden: tuple[str, ...]) -> None:
    assert list((ROOT / folder).rglob("*.py"))
    assert _violations(folder, forbidden) == []


def test_a_local_import_upwards_is_found_and_a_relative_one_stays_inside(tmp_path: Path) -> None:
    (tmp_path / "low" / "sub").mkdir(parents=True)
    (tmp_path / "low" / "__init__.py").write_text("")
    # Relative imports resolve inside the package: this is low.high, not high.
    (tmp_path / "low" / "sub" / "__init__.py").write_text("from .. import high\n")
    (tmp_path / "low" / "sub" / "deep.py").write_text(
        "def f() -> None:\n    import json\n    from high.core import thing\n"
    )
    assert _imported(tmp_path / "low" / "sub" / "__init__.py", tmp_path) == {"low", "low.high"}
    assert _violations("low", ("high",), tmp_path) == [
        "low/sub/deep.py imports high.core",
        "low/sub/deep.py imports high.core.thing",
    ]


def test_the_runtime_loads_without_the_web_framework() -> None:
    """``fhirport hl7 import`` builds the server's parts (``server.runtime``), not its web
    app: FastAPI's import alone is a fixed part of a second of every import's run."""
    code = "import sys, server.runtime; print(sorted(m for m in sys.modules if m == 'fastapi'))"
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )

    assert found.stdout.strip() == "[]"
