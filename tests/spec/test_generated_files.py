"""The committed definitions are what the generator writes from the FHIR R4 files today.

This is the one test that may skip: the definition files live in ``../shared``, beside
the repository, and where that folder is absent there is nothing to regenerate from.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from server.spec.generate import DEFAULT_SPEC_DIR, GENERATED_DIR, GENERATORS, main


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder the generator has just written from ``../shared``, once for the module."""
    if not DEFAULT_SPEC_DIR.is_dir():
        pytest.skip(
            f"{DEFAULT_SPEC_DIR} is absent: the FHIR R4 definition files the generated"
            " files come from are not beside this checkout"
        )
    out = tmp_path_factory.mktemp("generated")
    assert main(["--spec-dir", str(DEFAULT_SPEC_DIR), "--out-dir", str(out)]) == 0
    return out


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_the_committed_file_is_what_the_generator_writes(regenerated: Path, name: str) -> None:
    committed = (GENERATED_DIR / name).read_bytes()

    assert committed == (regenerated / name).read_bytes(), (
        f"server/spec/generated/{name} is stale: run python -m server.spec.generate"
    )


def test_the_generated_folder_holds_only_generated_files() -> None:
    present = {p.name for p in GENERATED_DIR.iterdir() if p.suffix == ".json"}

    assert present == set(GENERATORS)


def test_a_missing_spec_folder_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["--spec-dir", str(tmp_path / "nowhere"), "--out-dir", str(tmp_path)])

    assert status == 1
    assert "error:" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.json"))
