"""``sweep.png``: each metric of a sweep against its first swept value; histograms for Monte Carlo.

One panel per numeric metric that varies over the sweep: the metric against the first swept
field, one line per value of the second (Monte Carlo: the mean over the samples, a band of
± one σ). With Monte Carlo each metric also gets a histogram per value of the first swept field
(samples of the other axes pooled), with its mean, σ and the 5 / 50 / 95 % quantiles.
Axes carry units: a swept field's from its config's FieldSpec, a metric's from its name's
SI suffix (``_A``, ``_V``, ``_ohm``, ...).
"""

from __future__ import annotations

import math
from typing import IO, TYPE_CHECKING, Any

from memspice.sweeps.results import LEADING, STATUS

if TYPE_CHECKING:
    import pandas as pd

    from memspice.sweeps.spec import Sweep

#: A metric name's suffix -> its unit.
UNIT_SUFFIXES = {"_A": "A", "_V": "V", "_S": "S", "_ohm": "Ω", "_s": "s", "_Hz": "Hz", "_J": "J", "_W": "W",
                 "_F": "F", "_rel": "of full scale"}
MAX_METRICS = 12
QUANTILES = (0.05, 0.5, 0.95)


def metric_unit(name: str) -> str:
    last = name.rsplit(".", 1)[-1]
    for suffix, unit in UNIT_SUFFIXES.items():
        if last.endswith(suffix) or (suffix == "_rel" and "_rel_" in last):
            return unit
    return ""


def _label(name: str, unit: str) -> str:
    return f"{name} [{unit}]" if unit and unit != "of full scale" else (f"{name} (of full scale)" if unit else name)


def plotted_metrics(table: "pd.DataFrame", sweep: "Sweep") -> list[str]:
    """The numeric metric columns that vary across the successful points (constants say nothing)."""
    import pandas as pd

    fixed = {*LEADING, *STATUS, *sweep.axes, "sample", "seed"}
    ok = table[table["status"] == "ok"]
    names = []
    for name in table.columns:
        if name in fixed or ok.empty:
            continue
        column = ok[name]
        if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
            continue
        values = column.dropna()
        if len(values) > 1 and values.nunique() > 1:
            names.append(name)
    return names[:MAX_METRICS]


def plot_sweep(table: "pd.DataFrame", sweep: "Sweep", destination: str | IO[bytes]) -> None:
    """Draw the sweep's figure into ``destination`` (a path or a binary stream; PNG)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    metrics = plotted_metrics(table, sweep)
    # Independent axes only: zip lists move together, so the first of them stands for all.
    axes_names = [*sweep.grid, *list(sweep.zip)[:1]]
    monte_carlo = sweep.monte_carlo is not None
    ok = table[table["status"] == "ok"]
    panels = len(metrics) * (2 if monte_carlo and axes_names else 1) or 1
    columns = min(3, panels)
    rows = math.ceil(panels / columns)
    figure, grid = plt.subplots(rows, columns, figsize=(max(5.0 * columns, 8.0), 3.6 * rows + 0.4), squeeze=False)
    cells = list(grid.flat)
    failed = int((table["status"] != "ok").sum())
    title = f"{sweep.study} sweep: {len(table)} points" + (f" ({failed} failed)" if failed else "")
    if monte_carlo:
        title += f", {sweep.monte_carlo.samples} Monte Carlo samples per grid point"
    figure.suptitle(title, fontsize=11)
    if not metrics:
        cells[0].text(0.5, 0.5, "no metric varies over the successful points", ha="center", va="center")
        cells[0].set_axis_off()
    position = 0
    for metric in metrics:
        unit = metric_unit(metric)
        if axes_names:
            _draw_lines(cells[position], ok, sweep, axes_names, metric, unit, monte_carlo)
            position += 1
        if monte_carlo:
            _draw_histograms(cells[position], ok, sweep, axes_names[:1], metric, unit)
            position += 1
    for cell in cells[max(position, 1):]:
        cell.set_axis_off()
    figure.tight_layout(rect=(0, 0, 1, 0.975))  # room for the title
    figure.savefig(destination, format="png", dpi=90)
    plt.close(figure)


def _set_label(setter: Any, text: str) -> None:
    """An axis label, long ones (dotted summary paths) on two lines in a smaller font."""
    if len(text) > 34 and "." in text:
        head, _, tail = text.partition(".")
        setter(f"{head}.\n{tail}", fontsize=8)
    else:
        setter(text, fontsize=9 if len(text) > 28 else 10)


def _axis_label(sweep: "Sweep", path: str) -> str:
    spec = sweep.field_spec(path)
    return _label(path, spec.unit if spec is not None else "")


def _value_text(sweep: "Sweep", path: str, value: Any) -> str:
    spec = sweep.field_spec(path)
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{path} = {shown}" + (f" {spec.unit}" if spec is not None and spec.unit else "")


def _draw_lines(ax: Any, ok: "pd.DataFrame", sweep: "Sweep", axes_names: list[str], metric: str, unit: str,
                monte_carlo: bool) -> None:
    first = axes_names[0]
    second = axes_names[1] if len(axes_names) > 1 else None
    groups = ok.groupby(second, sort=False) if second is not None else [(None, ok)]
    numeric_x = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in ok[first].dropna())
    for value, group in groups:
        stats = group.groupby(first, sort=False)[metric].agg(["mean", "std"]).reset_index()
        if numeric_x:
            stats = stats.sort_values(first)
        x = stats[first] if numeric_x else stats[first].astype(str)
        label = _value_text(sweep, second, value) if second is not None else None
        line, = ax.plot(x, stats["mean"], marker="o", label=label)
        if monte_carlo:
            spread = stats["std"].fillna(0.0)
            ax.fill_between(x, stats["mean"] - spread, stats["mean"] + spread, color=line.get_color(), alpha=0.2)
    _set_label(ax.set_xlabel, _axis_label(sweep, first))
    _set_label(ax.set_ylabel, _label(metric, unit) + (" (mean ± σ)" if monte_carlo else ""))
    ax.grid(True, alpha=0.3)
    if second is not None:
        ax.legend(fontsize=7)


def _draw_histograms(ax: Any, ok: "pd.DataFrame", sweep: "Sweep", first: list[str], metric: str, unit: str) -> None:
    import numpy as np

    groups = ok.groupby(first[0], sort=True) if first else [(None, ok)]
    values_all = ok[metric].dropna().to_numpy(dtype=float)
    bins = np.histogram_bin_edges(values_all, bins=min(30, max(5, len(values_all) // 3)))
    for value, group in groups:
        values = group[metric].dropna().to_numpy(dtype=float)
        if values.size == 0:
            continue
        mean, sigma = float(values.mean()), float(values.std(ddof=1)) if values.size > 1 else 0.0
        low, median, high = np.quantile(values, QUANTILES)
        where = _value_text(sweep, first[0], value) + ": " if first else ""
        patches = ax.hist(values, bins=bins, alpha=0.45, label=f"{where}μ {mean:.3g}, σ {sigma:.2g}")[2]
        color = patches[0].get_facecolor()
        for quantile in (low, median, high):
            ax.axvline(quantile, color=color, alpha=0.9, linestyle=":" if quantile != median else "--", linewidth=1)
    _set_label(ax.set_xlabel, _label(metric, unit))
    ax.set_ylabel("samples")
    ax.set_title("quantiles 5 / 50 / 95 %: dotted / dashed / dotted", fontsize=7)
    ax.legend(fontsize=6)
    ax.grid(True, alpha=0.3)
