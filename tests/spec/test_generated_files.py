"""The committed definitions are what the generator writes from the FHIR R4 files today.

This is the one test that may skip: the definition files live in ``../shared``, beside
the repository, and where that folder is absent there is nothing to regenerate from.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from server.spec.generate import DEFAULT_SPEC_DIR, GENERATED_DIR, GENERATORS, main


@pytest.fixture
def spec_dir() -> Path:
    if not DEFAULT_SPEC_DIR.is_dir():
        pytest.skip(
            f"{DEFAULT_SPEC_DIR} is absent: the FHIR R4 definition files the generated"
            " files come from are not beside this checkout"
        )
    return DEFAULT_SPEC_DIR


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_the_committed_file_is_what_the_generator_writes(
    spec_dir: Path, tmp_path: Path, name: str
) -> None:
    assert main(["--spec-dir", str(spec_dir), "--out-dir", str(tmp_path)]) == 0

    regenerated = (tmp_path / name).read_bytes()
    committed = (GENERATED_DIR / name).read_bytes()
    assert committed == regenerated, (
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
