"""Run a sweep: expand its points, skip the finished ones, run the rest on an executor, tabulate.

>>> from memspice.sweeps import Sweep, run_sweep, PoolExecutor      # doctest: +SKIP
>>> sweep = Sweep(study="crossbar-read", base={"rows": 16, "cols": 16},
...               grid={"r_word_ohm": [0.0, 1.0, 5.0]})               # doctest: +SKIP
>>> outcome = run_sweep(sweep, executor=PoolExecutor(2), out="out/sweep")  # doctest: +SKIP
>>> outcome.table[["r_word_ohm", "max_rel_error"]]                   # doctest: +SKIP

The store folder's layout is in :mod:`memspice.sweeps.store`; the table's columns in
:mod:`memspice.sweeps.results`.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from memspice.errors import SimulationError
from memspice.files import atomic_open, claimed_output_folder, write_json_atomic, write_text_atomic
from memspice.sweeps import store
from memspice.sweeps.executors import Executor, PoolExecutor
from memspice.sweeps.results import results_frame
from memspice.sweeps.spec import Sweep
from memspice.sweeps.worker import PointTask, run_point

if TYPE_CHECKING:
    import pandas as pd

FIGURE = "sweep.png"


@dataclass(frozen=True)
class Failure:
    """A point that failed: its index, swept values, record key and error (one line)."""

    point: int
    coords: dict[str, Any]
    key: str
    error: str

    def describe(self) -> str:
        where = ", ".join(f"{k}={v}" for k, v in self.coords.items()) or "the base config"
        return f"point {self.point} ({where}; points/{self.key}): {self.error}"


@dataclass(frozen=True)
class SweepOutcome:
    """What :func:`run_sweep` did: the results table, the store folder, counts and failures."""

    table: "pd.DataFrame"
    folder: Path
    total: int
    cached: int
    simulated: int
    failures: tuple[Failure, ...]
    wall_time_s: float

    def line(self) -> str:
        """The closing line: how many points, from the store, run, failed, and where."""
        return (f"sweep: {self.total} points ({self.cached} from the store, {self.simulated} run, "
                f"{len(self.failures)} failed) in {self.wall_time_s:.2f} s; results in {self.folder}")


def _progress_bar(total: int, executor: Executor, enabled: bool) -> Any:
    import os

    from tqdm import tqdm

    # On a terminal only: a log file or CI output gets the closing line alone.
    on_terminal = enabled and sys.stderr.isatty()
    try:
        sized = on_terminal and os.get_terminal_size(sys.stderr.fileno()).columns > 0
    except OSError:
        sized = False
    # A terminal that reports no size (some ptys) would hide the bar: give it 100 columns, 24 lines.
    return tqdm(total=total, file=sys.stderr, unit="point", desc="sweep", dynamic_ncols=sized,
                ncols=None if sized else 100, nrows=None if sized else 24, disable=not on_terminal,
                postfix={"failed": 0})


def run_sweep(sweep: Sweep, *, executor: Executor | None = None, out: str | Path, cache: bool = True,
              progress: bool = True, sweep_text: str | None = None) -> SweepOutcome:
    """Run ``sweep`` into the store folder ``out`` and return its outcome.

    ``executor`` runs the points not already in the store (default: a :class:`PoolExecutor` of
    the CPU count; closed at the end); ``cache=False`` runs every point again. ``progress`` shows
    a bar on stderr when it is a terminal, and prints the closing line. ``sweep_text`` is the
    sweep file's text, kept in the manifest (default: the sweep written as TOML).
    A point that fails is recorded and listed in :attr:`SweepOutcome.failures`; the others run.
    """
    from memspice import __version__
    from memspice.engine.runner import resolve_backend

    started = time.perf_counter()
    points = sweep.points()
    owned = executor is None
    executor = executor if executor is not None else PoolExecutor()
    with claimed_output_folder(str(out)) as folder:  # checked and locked before anything runs
        store.remove_stale_parts(folder)
        if not cache or _records_in(folder) < len(points):  # work ahead: workers start while the keys are made
            executor.start()
        versions = store.engine_versions(folder, sweep.run.engine)
        engine = resolve_backend(sweep.run.engine, allow_auto=True)
        keys = [store.point_key(sweep.study, point.config.content_hash(), engine, versions) for point in points]
        write_json_atomic(folder / store.MANIFEST, {
            "sweep": sweep.to_dict(), "sweep_file": sweep_text if sweep_text is not None else sweep.to_toml(),
            "versions": {"memspice": __version__, **versions}, "engine": engine,
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "points": len(points), "executor": executor.description,
        })
        tasks, seen = [], set()
        for point, key in zip(points, keys):
            if key in seen or (cache and store.finished_record(folder, key) is not None):
                seen.add(key)
                continue
            seen.add(key)
            # An absolute path: a Dask worker on another machine resolves it in the shared file system.
            tasks.append(PointTask(root=str(folder.resolve()), key=key, study=sweep.study, config=point.config.to_dict(),
                                   options=sweep.run.to_dict()))
        if tasks:
            _run_tasks(tasks, executor, owned=owned, progress=progress)
        records = {key: store.read_record(folder, key) or {} for key in set(keys)}
        summaries = {key: store.read_summary(folder, key) for key in set(keys) if records[key].get("status") == "ok"}
        table = results_frame(sweep.axes, points, keys, records, summaries, sweep.monte_carlo is not None)
        _write_results(folder, sweep, table)
    failures = tuple(Failure(point.index, dict(point.coords), key, records[key].get("error", "no record"))
                     for point, key in zip(points, keys) if records[key].get("status") != "ok")
    outcome = SweepOutcome(table=table, folder=Path(out), total=len(points), cached=len(set(keys)) - len(tasks),
                           simulated=len(tasks), failures=failures, wall_time_s=time.perf_counter() - started)
    if progress:
        print(outcome.line(), file=sys.stderr)
    return outcome


def _records_in(folder: Path) -> int:
    points = folder / store.POINTS
    return sum(1 for entry in points.iterdir() if not entry.name.startswith(".")) if points.is_dir() else 0


def _run_tasks(tasks: list[PointTask], executor: Executor, *, owned: bool, progress: bool) -> None:
    """Run every task on ``executor`` with a progress bar; workers stopped on any way out."""
    failed = 0
    bar = _progress_bar(len(tasks), executor, progress)
    try:
        with executor if owned else _closing_on_error(executor):
            try:
                for _position, result in executor.as_completed(run_point, tasks):
                    failed += result["status"] != "ok"
                    bar.set_postfix(failed=failed, refresh=False)
                    bar.update(1)
            except Exception as error:  # the executor itself broke: a worker process died, a cluster went away
                raise SimulationError(
                    f"the executor ({executor.description}) stopped: {type(error).__name__}: {error}; finished points "
                    "are kept in the store, run the sweep again to resume") from None
    finally:
        bar.close()


class _closing_on_error:
    """Leave a caller's executor open after the sweep, but stop its workers on an exception."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor

    def __enter__(self) -> Executor:
        return self.executor

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is not None:
            self.executor.abort()


def _write_results(folder: Path, sweep: Sweep, table: "pd.DataFrame") -> None:
    """``results.csv``, ``results.parquet`` and ``sweep.png``; left as they are when the table is unchanged
    (a cached re-run writes nothing)."""
    csv_text = table.to_csv(index=False, float_format="%.12g")
    csv_path, parquet_path, figure = folder / store.RESULTS_CSV, folder / store.RESULTS_PARQUET, folder / FIGURE
    try:
        unchanged = csv_path.read_text(encoding="utf-8") == csv_text and parquet_path.is_file() and figure.is_file()
    except OSError:
        unchanged = False
    if unchanged:
        return
    with atomic_open(parquet_path, "wb") as stream:
        table.to_parquet(stream, index=False)
    write_text_atomic(csv_path, csv_text)
    from memspice.sweeps.plots import plot_sweep

    with atomic_open(figure, "wb") as stream:
        plot_sweep(table, sweep, stream)
