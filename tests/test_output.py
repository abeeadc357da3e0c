"""Output files get the permissions the umask gives, so a host user can read what a container wrote."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from memspice.cli import main
from memspice.files import atomic_open, current_umask, write_json_atomic, write_text_atomic


@pytest.fixture
def umask() -> Iterator[Callable[[int], int]]:
    """Set the process umask for the test; the old one comes back afterwards."""
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask, file_mode, folder_mode", [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700),
                                                           (0o002, 0o664, 0o775)])
def test_written_files_and_folders_follow_the_umask(tmp_path: Path, umask, mask: int, file_mode: int,
                                                    folder_mode: int) -> None:
    umask(mask)
    assert current_umask() == mask
    path = write_json_atomic(tmp_path / "new" / "summary.json", {"a": 1})
    assert _mode(path) == file_mode
    assert _mode(path.parent) == folder_mode
    assert write_text_atomic(path, "again\n").read_text() == "again\n"  # replaces, same mode
    assert _mode(path) == file_mode
    assert sorted(p.name for p in path.parent.iterdir()) == ["summary.json"]  # no temporary left


def test_every_file_of_a_cli_report_is_readable_by_others_under_umask_022(tmp_path: Path, umask, capsys) -> None:
    out = tmp_path / "xb"
    assert main(["crossbar-read", "--rows", "4", "--cols", "4", "--engine", "shared", "--out", str(out)]) == 0
    modes = {path.name: _mode(path) for path in out.iterdir()}
    assert "crossbar_read.png" in modes and "summary.json" in modes
    assert modes == dict.fromkeys(modes, 0o644)
    assert _mode(out) == 0o755


def test_python_api_figures_follow_the_umask_too(tmp_path: Path, umask) -> None:
    """Figures are written by the same writer as every other file (no mkstemp 0600)."""
    from memspice.studies.hysteresis import (
        HysteresisConfig,
        run_hysteresis,
        write_hysteresis_report,
    )

    umask(0o022)
    result = run_hysteresis(HysteresisConfig(model="hp", freqs_hz=(1.0, 10.0), cycles=2, points_per_cycle=100))
    written = write_hysteresis_report(result, tmp_path / "hp")
    assert {name: _mode(path) for name, path in written.items()} == dict.fromkeys(written, 0o644)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = write_text_atomic(tmp_path / "a.txt", "old\n")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as stream:
            stream.write("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


@pytest.mark.parametrize(("out", "message"), [
    ("", "--out='' is empty"),
    ("/proc/self", "is a kernel or device folder"),
    ("FILE", "is an existing file"),
    ("FILE/sub", "is an existing file"),
])
def test_a_bad_output_folder_is_refused_before_anything_runs(out: str, message: str, tmp_path: Path, capsys) -> None:
    (tmp_path / "FILE").write_text("not a folder")
    out = out.replace("FILE", str(tmp_path / "FILE"))
    assert main(["hysteresis", "--model", "hp", "--out", out]) == 2
    err = capsys.readouterr().err
    assert message in err and "simulated" not in err


def test_a_second_run_into_a_locked_folder_is_refused(tmp_path: Path, capsys) -> None:
    from memspice.files import LOCK_NAME, claimed_output_folder

    with claimed_output_folder(str(tmp_path / "busy")):
        assert main(["hysteresis", "--model", "hp", "--cycles", "2", "--out", str(tmp_path / "busy")]) == 2
        assert "another memspice run is writing into this folder" in capsys.readouterr().err
    assert main(["hysteresis", "--model", "hp", "--cycles", "2", "--out", str(tmp_path / "busy")]) == 0
    assert not (tmp_path / "busy" / LOCK_NAME).exists()


def test_a_rerun_leaves_no_file_of_the_earlier_run(tmp_path: Path) -> None:
    out = tmp_path / "hp"
    assert main(["hysteresis", "--model", "hp", "--freq", "1,10,100", "--cycles", "2", "--out", str(out)]) == 0
    assert (out / "hysteresis_hp_100Hz.cir").exists()
    assert main(["hysteresis", "--model", "hp", "--freq", "1,10", "--cycles", "2", "--out", str(out)]) == 0
    import json

    listed = json.loads((out / "summary.json").read_text())["files"]
    assert sorted(p.name for p in out.iterdir()) == sorted([*listed, "summary.json"])
    assert not (out / "hysteresis_hp_100Hz.cir").exists()
