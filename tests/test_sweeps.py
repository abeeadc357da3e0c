"""Sweeps (memspice.sweeps) with real simulators: the same table from every executor, a killed
run resumed without re-simulating anything, a cached re-run that starts no simulator, failures
recorded and listed, and bad sweep files refused before anything runs.

Simulator starts are counted honestly: the tests that count them put a ``ngspice`` script
first on PATH that appends a line to a file and ``exec`` s the real ngspice, and run the sweep
with ``engine = "subprocess"`` (one ngspice process per simulation).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from memspice.cli import main
from memspice.errors import ParameterError
from memspice.sweeps import DaskExecutor, MonteCarlo, PoolExecutor, SerialExecutor, Sweep, load_sweep, run_sweep
from memspice.sweeps.spec import derive_seed
from simulators import needs_ngspice

CROSSBAR_BASE = {"rows": 16, "cols": 16}


def _parquet_bytes(folder: Path) -> bytes:
    return (folder / "results.parquet").read_bytes()


# --------------------------------------------------------------------------- executors


@needs_ngspice
def test_serial_pool_and_dask_give_byte_identical_tables(tmp_path) -> None:
    """A 3 × 2 grid × 2 Monte Carlo sweep of crossbar-read 16 × 16 on each executor (the full
    3 × 4 × 5 sweep of the issue is the next test's, on one executor, and benchmarks/sweep.py's)."""
    sweep = Sweep(study="crossbar-read", base=CROSSBAR_BASE,
                  grid={"r_word_ohm": [0.0, 1.0, 5.0], "r_bit_ohm": [0.0, 2.0]}, monte_carlo=MonteCarlo(2, seed=7))
    outcomes = {}
    for name, executor in (("serial", SerialExecutor()), ("pool", PoolExecutor(2)),
                           ("dask", DaskExecutor(local_workers=2))):
        with executor:
            outcomes[name] = run_sweep(sweep, executor=executor, out=tmp_path / name, progress=False)
        assert outcomes[name].simulated == 12 and not outcomes[name].failures
    reference = _parquet_bytes(tmp_path / "serial")
    for name in ("pool", "dask"):
        assert _parquet_bytes(tmp_path / name) == reference, name
        pd.testing.assert_frame_equal(outcomes[name].table, outcomes["serial"].table)
    table = pd.read_parquet(tmp_path / "serial" / "results.parquet")
    assert len(table) == 12 and set(table["status"]) == {"ok"}
    assert table["seed"].nunique() == 12  # every point has its own seed
    # IR drop grows with the wire resistance (means over the samples)
    means = table.groupby("r_word_ohm")["max_rel_error"].mean()
    assert means.is_monotonic_increasing and means.iloc[-1] > 3 * means.iloc[0]

    again = run_sweep(sweep, executor=SerialExecutor(), out=tmp_path / "serial", progress=False)
    assert again.simulated == 0 and again.cached == 12
    assert _parquet_bytes(tmp_path / "serial") == reference


@needs_ngspice
def test_full_grid_by_monte_carlo_sweep_of_the_issue(tmp_path) -> None:
    """3 × 4 grid × 5 samples of crossbar-read 16 × 16 on a pool of 2: 60 points, one record each."""
    sweep = Sweep(study="crossbar-read", base=CROSSBAR_BASE,
                  grid={"r_word_ohm": [0.0, 1.0, 5.0], "r_bit_ohm": [0.0, 0.5, 1.0, 2.0]},
                  monte_carlo=MonteCarlo(5, seed=1))
    with PoolExecutor(2) as executor:
        outcome = run_sweep(sweep, executor=executor, out=tmp_path / "full", progress=False)
    table = outcome.table
    assert len(table) == 60 and set(table["status"]) == {"ok"} and table["key"].is_unique
    assert list(table.columns[:8]) == ["point", "key", "r_word_ohm", "r_bit_ohm", "sample", "seed", "status", "error"]
    assert sorted(p.name for p in (tmp_path / "full" / "points").iterdir()) == sorted(table["key"])
    record = tmp_path / "full" / "points" / table["key"][0]
    assert {"config.toml", "point.json", "point.log", "summary.json", "currents.parquet", "crossbar_read.cir"} <= {
        p.name for p in record.iterdir()}
    assert (tmp_path / "full" / "sweep.png").stat().st_size > 10_000
    manifest = json.loads((tmp_path / "full" / "manifest.json").read_text())
    assert manifest["versions"]["shared"].startswith("ngspice-") and manifest["points"] == 60


# --------------------------------------------------------------------------- kill and resume


def _counting_ngspice(folder: Path) -> tuple[Path, Path]:
    """A ``bin`` folder whose ``ngspice`` logs each start to ``starts.log`` and runs the real one."""
    real = shutil.which("ngspice")
    assert real is not None
    bin_folder, log = folder / "bin", folder / "starts.log"
    bin_folder.mkdir()
    script = bin_folder / "ngspice"
    script.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    log.touch()
    return bin_folder, log


def _simulations(log: Path) -> list[str]:
    """The netlists the counting ngspice ran (``-v`` version probes left out)."""
    return [line.split()[-1] for line in log.read_text().splitlines() if line.strip().endswith(".cir")]


SWEEP_FILE = """\
study = "crossbar-read"
[base]
rows = 16
cols = 16
[grid]
r_word_ohm = [0.0, 1.0, 2.0, 5.0]
[monte_carlo]
samples = 4
seed = 3
[run]
engine = "subprocess"
"""


def _sweep_command(folder: Path, bin_folder: Path, *extra: str) -> tuple[list[str], dict]:
    command = [sys.executable, "-m", "memspice.cli", "sweep", str(folder / "xb.toml"), "--out", str(folder / "store"),
               *extra]
    return command, {**os.environ, "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"}


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    """A 16-point sweep killed with SIGKILL after its fourth simulation started, then run again."""
    folder = tmp_path_factory.mktemp("resume")
    bin_folder, log = _counting_ngspice(folder)
    (folder / "xb.toml").write_text(SWEEP_FILE, encoding="utf-8")
    command, env = _sweep_command(folder, bin_folder, "--workers", "2")
    with open(folder / "killed.err", "wb") as stderr:  # a file, not a pipe: nothing can hold it open
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline = time.monotonic() + 120
    while len(_simulations(log)) < 4 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    assert process.poll() is None, (folder / "killed.err").read_text()
    process.send_signal(signal.SIGKILL)  # kill -9 of the sweep's own process: its workers die with it
    process.wait(timeout=30)
    time.sleep(1.0)
    points = folder / "store" / "points"
    finished = {p.name for p in points.iterdir() if not p.name.startswith(".")}
    started_before = len(_simulations(log))
    time.sleep(1.5)
    assert {p.name for p in points.iterdir() if not p.name.startswith(".")} == finished, "no worker outlived the kill"
    assert len(_simulations(log)) == started_before
    resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    return {"folder": folder, "log": log, "finished_at_kill": finished, "started_before": started_before,
            "resumed": resumed, "command": command, "env": env}


@needs_ngspice
def test_a_killed_sweep_resumes_without_simulating_a_finished_point_again(killed_and_resumed) -> None:
    run = killed_and_resumed
    assert run["resumed"].returncode == 0, run["resumed"].stderr
    assert 0 < len(run["finished_at_kill"]) < 16, "the kill should fall inside the sweep"
    store = run["folder"] / "store"
    table = pd.read_parquet(store / "results.parquet")
    assert len(table) == 16 and table["key"].is_unique and set(table["status"]) == {"ok"}
    records = sorted(p.name for p in (store / "points").iterdir())
    assert records == sorted(table["key"]), "every point present exactly once, no half-written folder left"
    for key in records:
        record = json.loads((store / "points" / key / "point.json").read_text())
        summary = json.loads((store / "points" / key / "summary.json").read_text())
        assert record["status"] == "ok" and summary["rows"] == 16
        pd.read_parquet(store / "points" / key / "currents.parquet")
    resumed_runs = len(_simulations(run["log"])) - run["started_before"]
    assert resumed_runs == 16 - len(run["finished_at_kill"]), "only the unfinished points are simulated again"
    assert f"{len(run['finished_at_kill'])} from the store" in run["resumed"].stderr


@needs_ngspice
def test_a_cached_rerun_starts_no_simulator_and_gives_the_same_table(killed_and_resumed) -> None:
    run = killed_and_resumed
    store = run["folder"] / "store"
    before, lines_before = (store / "results.parquet").read_bytes(), run["log"].read_text()
    again = subprocess.run(run["command"], env=run["env"], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert run["log"].read_text() == lines_before, "no ngspice started, not even for its version"
    assert (store / "results.parquet").read_bytes() == before
    assert "16 from the store, 0 run" in again.stderr
    assert again.stderr.count("\n") == 1, "stderr is not a terminal: no bar, the closing line only"


@needs_ngspice
def test_no_cache_runs_every_point_again(tmp_path) -> None:
    bin_folder, log = _counting_ngspice(tmp_path)
    (tmp_path / "xb.toml").write_text(SWEEP_FILE.replace("samples = 4", "samples = 1"), encoding="utf-8")
    command, env = _sweep_command(tmp_path, bin_folder, "--serial")
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)
    subprocess.run(command + ["--no-cache"], env=env, check=True, capture_output=True, timeout=120)
    assert len(_simulations(log)) == 8
    assert sorted(p.name for p in (tmp_path / "store" / "points").iterdir()) == sorted(
        pd.read_csv(tmp_path / "store" / "results.csv")["key"]), "the old records were replaced, none left beside"


@needs_ngspice
def test_sigterm_stops_the_sweep_with_143_and_keeps_finished_points(tmp_path) -> None:
    bin_folder, log = _counting_ngspice(tmp_path)
    (tmp_path / "xb.toml").write_text(SWEEP_FILE, encoding="utf-8")
    command, env = _sweep_command(tmp_path, bin_folder, "--workers", "2")
    with open(tmp_path / "terminated.err", "wb") as stream:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stream)
    deadline = time.monotonic() + 120
    while len(_simulations(log)) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    stderr = (tmp_path / "terminated.err").read_text()
    assert process.returncode == 143, stderr
    assert "Traceback" not in stderr
    for record in (tmp_path / "store" / "points").iterdir():
        if not record.name.startswith("."):
            assert json.loads((record / "point.json").read_text())["status"] == "ok"


# --------------------------------------------------------------------------- failures


@needs_ngspice
def test_a_failed_point_is_recorded_and_listed_and_the_sweep_goes_on(tmp_path, capsys) -> None:
    """A 64 × 64 array with 1 Ω wires needs many seconds in ngspice; with a 1 s limit it times out,
    while the 2 × 2 array beside it finishes."""
    (tmp_path / "bad.toml").write_text(textwrap.dedent("""\
        study = "crossbar-read"
        [base]
        r_word_ohm = 1.0
        r_bit_ohm = 1.0
        [zip]
        rows = [2, 64]
        cols = [2, 64]
        [run]
        engine = "subprocess"
        timeout_s = 1.0
        """), encoding="utf-8")
    status = main(["sweep", str(tmp_path / "bad.toml"), "--serial", "--out", str(tmp_path / "store")])
    stderr = capsys.readouterr().err
    assert status == 1
    assert "1 of 2 points failed" in stderr and "point 1 (rows=64, cols=64" in stderr
    table = pd.read_csv(tmp_path / "store" / "results.csv", keep_default_na=False)
    assert list(table["status"]) == ["ok", "failed"]
    assert table["error"][1] and not table["error"][0]
    record = json.loads((tmp_path / "store" / "points" / table["key"][1] / "point.json").read_text())
    assert record["status"] == "failed" and record["log_tail"]


# --------------------------------------------------------------------------- bad sweep files

BAD_SWEEP_FILES = {
    "unknown study": ('study = "crossbar-reed"\n[grid]\nrows = [4]\n', "unknown study 'crossbar-reed'; available:"),
    "unknown field path": ('study = "crossbar-read"\n[base]\nrows = 4\ncols = 4\n[grid]\n"array.r_word_ohm" = [1.0]\n',
                           "grid.array.r_word_ohm=1 names no field; allowed: the fields rows, cols"),
    "value out of range": ('study = "crossbar-read"\n[base]\nrows = 4\ncols = 4\n[grid]\nr_word_ohm = [0.0, -1.0]\n',
                           "grid.r_word_ohm=-1 is not allowed; allowed: [0, 1e+06] Ω"),
    "empty grid": ('study = "crossbar-read"\n[base]\nrows = 4\ncols = 4\n[grid]\nr_word_ohm = []\n',
                   "grid.r_word_ohm is an empty list; give at least one value"),
    "zip of unequal lengths": ('study = "crossbar-read"\n[zip]\nrows = [2, 4]\ncols = [2]\n',
                               "[zip] lists must have equal lengths (rows has 2, cols has 1)"),
    "unknown top-level key": ('study = "crossbar-read"\n[grids]\nrows = [2]\n',
                              "grids is not a key of a sweep file; allowed: study, base, grid, zip, monte_carlo, run"),
    "unknown base key": ('study = "crossbar-read"\n[base]\nrowz = 4\n',
                         "base.rowz=4 is not a field of CrossbarReadConfig"),
    "monte carlo without a seed field": ('study = "hysteresis"\n[monte_carlo]\nsamples = 3\n',
                                         "[monte_carlo] needs a 'seed' field in the study's config, and study "
                                         "'hysteresis' has none"),
    "bad run option": ('study = "crossbar-read"\n[base]\nrows = 4\ncols = 4\n[run]\nengine = "spectre"\n',
                       "run.engine='spectre' is not allowed; allowed: one of auto, shared, subprocess, vacask"),
    "grid value not a list": ('study = "crossbar-read"\n[base]\nrows = 4\ncols = 4\n[grid]\nr_word_ohm = 1.0\n',
                              "grid.r_word_ohm=1.0 is not a list"),
    "bad monte carlo samples": ('study = "crossbar-read"\n[base]\nrows = 4\ncols = 4\n[monte_carlo]\nsamples = 0\n',
                                "monte_carlo.samples=0 is not allowed"),
}


@pytest.mark.parametrize("case", sorted(BAD_SWEEP_FILES))
def test_a_bad_sweep_file_is_refused_before_anything_runs(case, tmp_path, capsys) -> None:
    text, fragment = BAD_SWEEP_FILES[case]
    (tmp_path / "bad.toml").write_text(text, encoding="utf-8")
    status = main(["sweep", str(tmp_path / "bad.toml"), "--out", str(tmp_path / "store")])
    stderr = capsys.readouterr().err
    assert status == 2
    assert stderr.startswith("memspice: error: ") and stderr.count("\n") == 1, stderr
    assert fragment in stderr
    assert not (tmp_path / "store").exists(), "nothing is created before the sweep file is accepted"


def test_python_api_refuses_as_the_file_does() -> None:
    with pytest.raises(ParameterError, match=r"zip.cols=0 is not allowed"):
        Sweep(study="crossbar-read", zip={"rows": [2, 3], "cols": [2, 0]})


# --------------------------------------------------------------------------- the sweep file


def test_points_expand_in_order_with_deterministic_seeds(tmp_path) -> None:
    (tmp_path / "s.toml").write_text(textwrap.dedent("""\
        study = "crossbar-read"
        [base]
        rows = 4
        cols = 4
        [grid]
        r_word_ohm = ["0", "1.5"]
        [zip]
        v_read_V = [0.1, 0.2, 0.3]
        g_on_S = ["100u", "200u", "300u"]
        [monte_carlo]
        samples = 2
        seed = 5
        """), encoding="utf-8")
    sweep, _text = load_sweep(tmp_path / "s.toml")
    points = sweep.points()
    assert len(points) == len(sweep) == 2 * 3 * 2
    assert sweep.axes == ("r_word_ohm", "v_read_V", "g_on_S")
    assert [p.config.r_word_ohm for p in points[:6]] == [0.0] * 6
    assert [(p.config.v_read_V, p.config.g_on_S, p.sample) for p in points[:4]] == [
        (0.1, 1e-4, 0), (0.1, 1e-4, 1), (0.2, 2e-4, 0), (0.2, 2e-4, 1)]
    assert all(p.config.seed == p.seed for p in points) and len({p.seed for p in points}) == 12
    assert [p.seed for p in Sweep.from_dict(json.loads(json.dumps(sweep.to_dict()))).points()] == [p.seed for p in points]
    spec = sweep.field_spec("seed")
    assert derive_seed(5, {"r_word_ohm": "0"}, 1, spec) == derive_seed(5, {"r_word_ohm": "0"}, 1, spec)
    assert 0 <= derive_seed(5, {}, 0, spec) <= 10**9


def test_the_example_sweep_file_is_valid() -> None:
    sweep, text = load_sweep(Path(__file__).resolve().parents[1] / "examples" / "crossbar_sweep.toml")
    assert sweep.study == "crossbar-read" and len(sweep) == 4 * 3 * 8 and "monte_carlo" in text


def test_summaries_flatten_into_scalar_columns_without_timings() -> None:
    from memspice.sweeps.results import flat_metrics

    summary = {"rows": 4, "engine": {"backend": "shared", "version": "ngspice-39"}, "t_simulate_s": 0.1,
               "wall_time_s": {"total": 2.0}, "files": ["a.csv"], "g_range_S": [1e-6, 1e-4],
               "methods": [{"method": "write-verify", "rms_error_S": 1e-7}, {"method": "open-loop", "rms_error_S": 2e-6}],
               "fingerprints": [{"freq_hz": 1.0, "area": 3.0}, {"freq_hz": 10.0, "area": 1.0}]}
    assert flat_metrics(summary) == {
        "rows": 4, "engine.backend": "shared", "engine.version": "ngspice-39",
        "methods.write-verify.rms_error_S": 1e-7, "methods.open-loop.rms_error_S": 2e-6,
        "fingerprints.0.freq_hz": 1.0, "fingerprints.0.area": 3.0, "fingerprints.1.freq_hz": 10.0,
        "fingerprints.1.area": 1.0}


@pytest.mark.parametrize("path", sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.toml")),
                         ids=lambda p: p.name)
def test_every_example_sweep_file_loads(path: Path) -> None:
    """The sweep files in examples/ parse and every point builds a valid config (nothing runs)."""
    sweep, _text = load_sweep(path)
    assert len(sweep.points()) >= 2
