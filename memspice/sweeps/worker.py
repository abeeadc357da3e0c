"""What a worker does for one point: run the study, write its record, return a small dict.

:func:`run_point` runs anywhere an executor puts it (this process, a pool worker, a Dask
worker on another machine that sees the same store folder): it rebuilds the config from plain
data, starts the simulator through the study's own ``execute``, writes the study's report, the
tables as Parquet, ``config.toml``, ``point.log`` and ``point.json`` into a hidden folder, and
renames that folder into ``points/<key>`` (:func:`~memspice.sweeps.store.publish_record`). A
failure of the study is recorded (status ``failed``, the error, the log's tail) and returned,
not raised: the sweep goes on with the other points.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from memspice.sweeps import store

#: Lines of a failed point's log kept in its record and in the results table's ``error``.
LOG_TAIL_LINES = 20


@dataclass(frozen=True)
class PointTask:
    """One point to run: plain data, cheap to send to another process or machine."""

    root: str
    key: str
    study: str
    config: Mapping[str, Any]
    options: Mapping[str, Any]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def run_point(task: PointTask) -> dict[str, Any]:
    """Run one point and publish its record; returns ``{"key", "status", "error", "wall_time_s",
    "summary", "tables"}`` (``tables``: Parquet file names in the record folder)."""
    from memspice.engine.options import RunOptions
    from memspice.studies import get_study

    root = Path(task.root)
    part = store.new_part_folder(root, task.key)
    log_lines: list[str] = [f"{_now()} start {task.study} point {task.key}"]

    def log(line: str) -> None:
        log_lines.append(f"{_now()} {line}")
        # Written as it goes: a point that hangs or is killed shows how far it got.
        (part / "point.log").write_text("\n".join(log_lines) + "\n", encoding="utf-8")

    def progress(done: int, total: int, label: str, wall_s: float) -> None:
        log(f"[{done}/{total}] {label} simulated in {wall_s:.3f} s")

    started = time.perf_counter()
    study = get_study(task.study)
    config = study.Config.from_dict(task.config)
    options = RunOptions.from_dict(task.options)
    (part / "config.toml").write_text(config.to_toml(), encoding="utf-8")
    log(f"engine option {options.engine}, timeout {options.timeout_s:g} s")
    record: dict[str, Any] = {"key": task.key, "study": task.study, "config_hash": config.content_hash(),
                              "options": options.to_dict()}
    summary: dict[str, Any] = {}
    tables: list[str] = []
    try:
        result = study.execute(config, options, progress=progress)
        for name, frame in result.tables().items():
            frame.to_parquet(part / f"{name}.parquet", index=False)
            tables.append(f"{name}.parquet")
        # The report goes last: its summary.json marks a complete study report.
        study.report(result, part)
        summary = result.summary()
        status, error, tail = "ok", "", ""
        log(f"done in {time.perf_counter() - started:.3f} s")
    except Exception as exc:  # a failed point is a result of the sweep; Ctrl-C and SIGTERM still stop it
        status = "failed"
        error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        log(f"failed: {type(exc).__name__}: {error}")
        log_lines.extend(traceback.format_exc().rstrip().splitlines())
        tail = "\n".join([*getattr(exc, "log_tail", "").splitlines(), *log_lines][-LOG_TAIL_LINES:])
        log("end of the failure's traceback")
    wall = time.perf_counter() - started
    record.update(status=status, error=error, log_tail=tail, wall_time_s=wall, finished=_now(), tables=tables)
    store.write_json_atomic(part / store.RECORD, record)
    store.publish_record(part, store.record_folder(root, task.key))
    return {"key": task.key, "status": status, "error": error, "log_tail": tail, "wall_time_s": wall,
            "summary": summary, "tables": tables}
