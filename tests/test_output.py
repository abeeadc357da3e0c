"""Output files get the permissions the umask gives, so a host user can read what a container wrote."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from memspice.cli import main
from memspice.experiments.output import apply_umask, current_umask, write_json_atomic, write_text_atomic


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


def test_apply_umask_opens_up_mkstemp_files_to_what_the_umask_allows(tmp_path: Path, umask) -> None:
    handle, name = tempfile.mkstemp(dir=tmp_path)
    os.close(handle)
    assert _mode(Path(name)) == 0o600
    apply_umask([Path(name)])
    assert _mode(Path(name)) == 0o644


def test_every_file_of_a_cli_report_is_readable_by_others_under_umask_022(tmp_path: Path, umask, capsys) -> None:
    out = tmp_path / "xb"
    assert main(["crossbar-read", "--rows", "4", "--cols", "4", "--engine", "shared", "--out", str(out)]) == 0
    modes = {path.name: _mode(path) for path in out.iterdir()}
    assert "crossbar_read.png" in modes and "summary.json" in modes
    assert modes == dict.fromkeys(modes, 0o644)
    assert _mode(out) == 0o755
