"""The one report writer of every study: files first, ``summary.json`` last.

A report folder is finished exactly when it holds ``summary.json``: the writer removes a
stale one before anything else, writes every other file atomically (temporary name beside
it, then rename), and writes the summary last. Files get the modes the umask gives. The
summary says ``"complete": true``, or, for the finished points of an interrupted run written
under :func:`incomplete_run`, ``"complete": false`` with ``points_done`` and ``points_total``.
"""

from __future__ import annotations

import contextlib
import contextvars
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from memspice.files import atomic_open, write_csv_atomic, write_json_atomic, write_text_atomic

if TYPE_CHECKING:
    import pandas as pd

    from memspice.engine import Waveforms

SUMMARY_NAME = "summary.json"
_RUN_STATUS: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("run_status", default={"complete": True})


@contextlib.contextmanager
def incomplete_run(done: int, total: int, stopped_by: str) -> Iterator[None]:
    """Reports written inside say ``"complete": false`` and how many of the run's points they hold."""
    token = _RUN_STATUS.set({"complete": False, "points_done": done, "points_total": total, "stopped_by": stopped_by})
    try:
        yield
    finally:
        _RUN_STATUS.reset(token)


def run_is_complete() -> bool:
    """False inside :func:`incomplete_run` (a report may leave out what needs every point, e.g. a figure)."""
    return bool(_RUN_STATUS.get()["complete"])


def netlist_files(waveforms: "Waveforms") -> dict[str, bytes]:
    """What a saved netlist loads from its own folder, by file name: for a VACASK run the compiled
    module (``.osdi``) and Verilog-A source (``.va``) of every model it loads, so that
    ``vacask <name>.sim`` runs it there as it is; nothing for ngspice (its netlists are whole)."""
    if waveforms.backend != "vacask" or not waveforms.osdi_models:
        return {}
    from memspice.engine.vacask_backend import module_files

    return module_files(waveforms.osdi_models, waveforms.netlist_text)


def _files_of_earlier_report(folder: Path) -> set[str]:
    """The file names an earlier report in ``folder`` listed in its summary (plain names only)."""
    import json

    try:
        listed = json.loads((folder / SUMMARY_NAME).read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        return set()
    return {name for name in listed if isinstance(name, str) and name == Path(name).name and name != SUMMARY_NAME}


def write_report(
    folder: Path,
    *,
    texts: Mapping[str, str] = {},
    files: Mapping[str, bytes] = {},
    tables: Mapping[str, "pd.DataFrame"] = {},
    figures: Mapping[str, Callable[[Path], Path]] = {},
    summary: Mapping[str, Any],
) -> dict[str, Path]:
    """Write a study's outputs into ``folder`` (created if missing); returns file name -> path.

    ``texts`` (netlists and other text files), ``files`` (bytes as they are, e.g. the compiled
    Verilog-A modules a saved VACASK netlist loads) and ``tables`` (CSV, full float precision)
    are written as named; each of ``figures`` is called with its destination path and must write
    it; ``summary`` goes to ``summary.json`` last, with ``"files"``: the names of everything
    the report wrote. Files an earlier report in the folder listed and this one did not write
    are removed, so no stale netlist of an earlier run sits beside a new summary.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    earlier = _files_of_earlier_report(folder)
    (folder / SUMMARY_NAME).unlink(missing_ok=True)
    written: dict[str, Path] = {}
    for name, text in texts.items():
        written[name] = write_text_atomic(folder / name, text)
    for name, content in files.items():
        with atomic_open(folder / name, "wb") as stream:
            stream.write(content)
        written[name] = folder / name
    for name, frame in tables.items():
        written[name] = write_csv_atomic(folder / name, frame)
    for name, draw in figures.items():
        written[name] = draw(folder / name)
    for name in earlier - set(written):  # an earlier run's files this run did not rewrite
        (folder / name).unlink(missing_ok=True)
    status = _RUN_STATUS.get()
    written[SUMMARY_NAME] = write_json_atomic(folder / SUMMARY_NAME, {**summary, **status, "files": sorted(written)})
    return written
