"""The results table of a sweep: one row per point, its swept values and the study's scalar metrics.

Columns, in order: ``point`` (the index in the sweep), ``key`` (the record folder under
``points/``), the swept field paths (their config values, SI), ``sample`` and ``seed`` (Monte
Carlo), ``status`` (``ok`` / ``failed``), ``error``, then the study's summary flattened
(``engine.backend`` for ``{"engine": {"backend": ...}}``), numbers, words and booleans only.
Timings (``t_*_s``, ``wall_time_s``) are left out: they differ from run to run, and the table
must be the same whichever executor ran the points (each record keeps its own times).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Mapping, Sequence

if TYPE_CHECKING:
    import pandas as pd

    from memspice.sweeps.spec import SweepPoint

#: Summary entries that are not metrics of the simulated circuit.
NOT_METRICS = frozenset({"files", "netlists"})
_TIMING = re.compile(r"^(t_.*_s|.*wall_time_s)$")
#: The columns before the swept values and after them, before the metrics.
LEADING, STATUS = ("point", "key"), ("status", "error")


def is_timing(name: str) -> bool:
    """True for a summary entry that holds a duration of this run (``t_simulate_s``, ``wall_time_s``)."""
    return bool(_TIMING.match(name.rsplit(".", 1)[-1]))


def flat_metrics(summary: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """The scalar entries of a study's summary, nested tables flattened with dots (a short list of
    tables by each one's name: ``methods.write-verify.rms_error_S``); other lists and timings left out."""
    flat: dict[str, Any] = {}
    for name, value in summary.items():
        path = prefix + str(name)
        if name in NOT_METRICS or is_timing(path):
            continue
        if isinstance(value, Mapping):
            flat.update(flat_metrics(value, path + "."))
        elif value is None or isinstance(value, (bool, int, float, str)):
            flat[path] = value
        elif _is_list_of_tables(value):
            for label, entry in zip(_labels(value), value):
                # the entry that names the table is in the column name already
                flat.update(flat_metrics({k: v for k, v in entry.items() if v != label}, f"{path}.{label}."))
    return flat


#: Longest list of tables (e.g. one per method or per frequency) flattened into columns.
MAX_LISTED_TABLES = 16


def _is_list_of_tables(value: Any) -> bool:
    return isinstance(value, list) and 0 < len(value) <= MAX_LISTED_TABLES and all(isinstance(v, Mapping) for v in value)


def _labels(tables: list) -> list[str]:
    """Each table's name: its first word entry (``"method": "write-verify"``) when those are
    distinct, else its position."""
    words = [next((v for v in table.values() if isinstance(v, str)), None) for table in tables]
    if None not in words and len(set(words)) == len(words):
        return [str(word) for word in words]
    return [str(k) for k in range(len(tables))]


def config_value(config_data: Mapping[str, Any], path: str) -> Any:
    """The value at the dotted ``path`` of a config's plain data (a list as a string)."""
    value: Any = config_data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return ",".join(map(str, value)) if isinstance(value, (list, tuple)) else value


def results_frame(axes: Sequence[str], points: Sequence["SweepPoint"], keys: Sequence[str],
                  records: Mapping[str, Mapping[str, Any]], summaries: Mapping[str, Mapping[str, Any]],
                  monte_carlo: bool) -> "pd.DataFrame":
    """The table of ``points`` (in order), their records and summaries looked up by key."""
    import pandas as pd

    rows = []
    for point, key in zip(points, keys):
        data = point.config.to_dict()
        record = records.get(key, {})
        row: dict[str, Any] = {"point": point.index, "key": key}
        row.update({axis: config_value(data, axis) for axis in axes})
        if monte_carlo:
            row.update(sample=point.sample, seed=point.seed)
        row.update(status=record.get("status", "missing"), error=record.get("error", ""))
        for name, value in flat_metrics(summaries.get(key, {})).items():
            row.setdefault(name, value)  # a metric repeating a swept value (r_word_ohm) is kept once
        rows.append(row)
    return pd.DataFrame(rows)
