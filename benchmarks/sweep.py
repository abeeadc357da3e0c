"""Sweep throughput: serial vs a pool of 2 processes vs a 2-worker Dask LocalCluster, the store's
per-point overhead against a bare study run, and a fully cached re-run.

The points are crossbar-read reads of a ``--size`` × ``--size`` array with 1 Ω bit-line segments,
the word-line segment swept over ``--points`` values, in ngspice's shared library (about 1 s per
point at the default size on the project's 2-core machine; ``--size`` sets it). The baseline is the same points as
bare study runs in this process (``study.execute`` + ``study.report`` into a folder, what
``memspice crossbar-read --out`` does), measured in the same run. The executors are timed twice:
through ``run_sweep`` in this process (warm: imports done) and as whole ``memspice sweep``
commands in fresh processes (what a user waits for); both include starting the workers. The
tables every run writes are compared byte for byte.

``--issue-sweep`` also runs the issue's check: a 3 × 4 grid × 5 Monte Carlo sweep of crossbar-read
16 × 16 on the three executors, and says whether their ``results.parquet`` are byte-identical.

Usage: python benchmarks/sweep.py [--points 16] [--size 44] [--rounds 2] [--issue-sweep]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

try:
    import memspice  # noqa: F401
except ImportError:  # running from a checkout without installing: use the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from memspice.engine.options import RunOptions
from memspice.studies import get_study
from memspice.sweeps import DaskExecutor, MonteCarlo, PoolExecutor, SerialExecutor, Sweep, run_sweep


def _sweep(points: int, size: int) -> Sweep:
    values = [round(0.25 + 0.25 * k, 2) for k in range(points)]
    return Sweep(study="crossbar-read", base={"rows": size, "cols": size, "r_bit_ohm": 1.0},
                 grid={"r_word_ohm": values}, run=RunOptions(engine="shared"))


def _bare_runs(sweep: Sweep, scratch: Path) -> float:
    """Seconds for every point as a bare study run (execute + report), one after another."""
    study = get_study(sweep.study)
    started = time.perf_counter()
    for point in sweep.points():
        result = study.execute(point.config, sweep.run)
        study.report(result, scratch / f"bare{point.index}")
    return time.perf_counter() - started


def _timed(sweep: Sweep, executor, out: Path) -> float:
    started = time.perf_counter()
    with executor:
        outcome = run_sweep(sweep, executor=executor, out=out, progress=False)
    assert not outcome.failures, outcome.failures
    return time.perf_counter() - started


def _table(best: dict[str, float], point_times: dict[str, list[float]], names: list[str], n: int) -> None:
    print(f"  {'executor':<30} {'total s':>8} {'ms/point':>9} {'point s':>8} {'throughput vs serial':>21}")
    for name in names:
        print(f"  {name:<30} {best[name]:>8.2f} {best[name] / n * 1e3:>9.0f} {min(point_times[name]):>8.3f} "
              f"{best[names[0]] / best[name]:>21.2f}")


def _mean_record_time(folder: Path) -> float:
    return statistics.mean(json.loads(path.read_text())["wall_time_s"] for path in (folder / "points").glob("*/point.json"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=16, help="points of the sweep (default 16)")
    parser.add_argument("--size", type=int, default=44, help="rows = cols of each read (default 44)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds, the best of each kept (default 2)")
    parser.add_argument("--issue-sweep", action="store_true",
                        help="also check the issue's 3 x 4 x 5 crossbar-read 16 x 16 sweep on the three executors")
    args = parser.parse_args(argv)
    if args.points < 1 or args.size < 1 or args.rounds < 1:
        parser.error("--points, --size and --rounds must be >= 1")
    sweep = _sweep(args.points, args.size)
    load_before = os.getloadavg()[0]
    contenders = {"serial": SerialExecutor, "pool of 2": lambda: PoolExecutor(2),
                  "Dask LocalCluster of 2": lambda: DaskExecutor(local_workers=2)}
    commands = {"memspice sweep --serial": ["--serial"], "memspice sweep --workers 2": ["--workers", "2"],
                "memspice sweep --dask-local 2": ["--dask-local", "2"]}
    times: dict[str, list[float]] = {name: [] for name in [*contenders, *commands]}
    point_times: dict[str, list[float]] = {name: [] for name in times}
    bare_times, cached_times, tables = [], [], set()
    with tempfile.TemporaryDirectory(prefix="memspice-bench-") as scratch_name:
        scratch = Path(scratch_name)
        get_study(sweep.study).execute(sweep.points()[0].config, sweep.run)  # warm-up: library loaded, imports done
        for round_index in range(args.rounds):  # interleaved: a slow spell of the machine hits every contender
            bare_times.append(_bare_runs(sweep, scratch / f"bare{round_index}"))
            for number, (name, make) in enumerate(contenders.items()):
                folder = scratch / f"r{round_index}-{number}"
                times[name].append(_timed(sweep, make(), folder))
                point_times[name].append(_mean_record_time(folder))
                tables.add((folder / "results.parquet").read_bytes())
            cached_times.append(_timed(sweep, SerialExecutor(), scratch / f"r{round_index}-0"))
            sweep_file = scratch / "sweep.toml"
            sweep_file.write_text(sweep.to_toml(), encoding="utf-8")
            for number, (name, flags) in enumerate(commands.items()):
                folder = scratch / f"r{round_index}-cli{number}"
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "memspice.cli", "sweep", str(sweep_file), *flags, "--out",
                                str(folder)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times[name].append(time.perf_counter() - started)
                point_times[name].append(_mean_record_time(folder))
                tables.add((folder / "results.parquet").read_bytes())
        identical = len(tables) == 1
        issue = _issue_sweep(scratch) if args.issue_sweep else None
    load_after = os.getloadavg()[0]
    # The best round of each: other processes on the machine only ever slow a run down.
    best = {name: min(values) for name, values in times.items()}
    bare_s, cached_s = min(bare_times), min(cached_times)
    record_s = min(point_times["serial"])

    n = args.points
    print(f"{n} points: crossbar-read {args.size}x{args.size}, r_bit 1 ohm, r_word swept, ngspice shared; "
          f"{os.cpu_count()} CPUs, load average {load_before:.2f} before, {load_after:.2f} after")
    print(f"bare study runs (execute + report, this process): {bare_s:.2f} s, {bare_s / n * 1e3:.0f} ms per point\n")
    print(f"best of {args.rounds} interleaved rounds; 'point s' is a point's own time inside its worker (it grows when "
          "the CPUs are shared with other work)")
    print("in this process (run_sweep; imports done, the serial executor's simulator already loaded):")
    _table(best, point_times, list(contenders), n)
    print("the whole command in a fresh process (interpreter start and imports included):")
    _table(best, point_times, list(commands), n)
    print(f"\nsweep overhead per point, serial sweep vs bare runs: {(best['serial'] - bare_s) / n * 1e3:.1f} ms "
          f"(all of it: store set-up, simulator version probe, the table and sweep.png, spread over {n} points)")
    print(f"record overhead per point (a record's own time vs a bare run): {(record_s - bare_s / n) * 1e3:.1f} ms "
          "(Parquet tables, config.toml, point.json, point.log, the rename)")
    print(f"fully cached re-run: {cached_s:.3f} s, {cached_s / n * 1e3:.2f} ms per point")
    print(f"results.parquet byte-identical across the three executors: {'yes' if identical else 'NO'}")
    if issue is not None:
        print(f"issue sweep (3 x 4 grid x 5 Monte Carlo, crossbar-read 16x16, 60 points): results.parquet "
              f"byte-identical across serial, pool of 2, Dask of 2: {'yes' if issue[0] else 'NO'} "
              f"({', '.join(f'{k} {v:.1f} s' for k, v in issue[1].items())})")
    return 0 if identical and (issue is None or issue[0]) else 1


def _issue_sweep(scratch: Path) -> tuple[bool, dict[str, float]]:
    sweep = Sweep(study="crossbar-read", base={"rows": 16, "cols": 16},
                  grid={"r_word_ohm": [0.0, 1.0, 5.0], "r_bit_ohm": [0.0, 0.5, 1.0, 2.0]},
                  monte_carlo=MonteCarlo(5, seed=1))
    times, tables = {}, set()
    for name, executor in (("serial", SerialExecutor()), ("pool", PoolExecutor(2)),
                           ("dask", DaskExecutor(local_workers=2))):
        times[name] = _timed(sweep, executor, scratch / f"issue-{name}")
        tables.add((scratch / f"issue-{name}" / "results.parquet").read_bytes())
    return len(tables) == 1, times


if __name__ == "__main__":
    raise SystemExit(main())
