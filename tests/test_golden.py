"""Golden netlists: the generated SPICE is reviewed like code, so any change shows up as a diff."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from memspice.golden import golden_netlists, model_library_text

ROOT = Path(__file__).resolve().parents[1]


def _diff(expected: str, actual: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True), f"committed/{name}", f"generated/{name}"
        )
    )


@pytest.mark.parametrize("name", sorted(golden_netlists()))
def test_golden_netlist_is_unchanged(name: str) -> None:
    committed = ROOT / "netlists" / name
    assert committed.exists(), f"{committed.name} is missing: run `make golden` and commit netlists/"
    generated = golden_netlists()[name]
    assert committed.read_text() == generated, "generated netlist changed; review, then `make golden`:\n" + _diff(
        committed.read_text(), generated, name
    )


def test_model_library_file_is_unchanged() -> None:
    committed = ROOT / "memspice" / "spicelib" / "memristors.lib"
    generated = model_library_text()
    assert committed.read_text() == generated, _diff(committed.read_text(), generated, committed.name)


def test_golden_folder_has_no_stale_netlists() -> None:
    assert sorted(p.name for p in (ROOT / "netlists").glob("*.cir")) == sorted(golden_netlists())


@pytest.mark.parametrize("name", sorted(golden_netlists()))
def test_every_golden_netlist_runs_with_plain_ngspice_batch(name: str, tmp_path) -> None:
    import shutil
    import subprocess

    shutil.copy(ROOT / "netlists" / name, tmp_path / name)
    completed = subprocess.run(["ngspice", "-b", name], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]


def test_golden_netlist_runs_with_plain_ngspice_batch(tmp_path) -> None:
    """A netlist written by memspice runs as it is with `ngspice -b` and prints its vectors."""
    import shutil
    import subprocess

    name = "hysteresis_hp_1Hz.cir"
    shutil.copy(ROOT / "netlists" / name, tmp_path / name)
    completed = subprocess.run(
        ["ngspice", "-b", name], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert "v(xm1.xstate)" in completed.stdout
    assert "No. of Data Rows" in completed.stdout
