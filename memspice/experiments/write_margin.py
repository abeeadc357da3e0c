"""Write margin: the (V_W, pulse width) window in which a write scheme passes (issue 5, point 4).

Every point of the grid ``v_write_V × pulse_width_s`` is one run of
:func:`memspice.experiments.write_scheme.run_write_scheme` on the same array, pattern,
targets and scheme. Optionally the grid is repeated for several square array sizes
(``sizes``) and wire resistances (``r_wires_ohm``): one V_W × width map per (size, r_wire). A point passes when every selected cell switched (|d_state| ≥
``switch_threshold``) and no half-selected or unselected cell drifted more than
``disturb_tolerance`` — the write scheme's own verdict. The passing points are the operating
window a designer signs off: for each width, the smallest and largest passing V_W.

With the default device (VTEAM, thresholds ±1.4 V, :data:`~memspice.experiments.write_scheme.WRITE_PARAMS`)
and ideal wires, the ``v2`` window's lower edge is set by the selected cell's threshold
(V_W > 1.4 V, plus enough time to switch at the given width) and its upper edge by the
half-selected cells' threshold (V_W/2 < 1.4 V, i.e. V_W < 2.8 V).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from memspice.engine.runner import AUTO
from memspice.errors import ParameterError
from memspice.files import write_csv_atomic, write_json_atomic
from memspice.experiments.write_scheme import (
    WRITE_PARAMS,
    WriteSchemeConfig,
    run_write_scheme,
)

#: Columns of :attr:`WriteMarginResult.table`, in order.
TABLE_COLUMNS: tuple[str, ...] = (
    "rows", "cols", "r_wire_ohm", "v_write_V", "pulse_width_s", "switched", "worst_half_selected_abs_d_state",
    "worst_unselected_abs_d_state", "worst_half_selected_v_peak_V", "passed", "energy_J", "wall_time_s",
)


def _positive_grid(values: object, what: str, unit: str) -> tuple[float, ...]:
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ParameterError(f"{what}={values!r} is not allowed; give a non-empty sequence of numbers in {unit}")
    out = []
    for value in values:  # type: ignore[union-attr]
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not math.isfinite(float(value)) or float(value) <= 0:
            raise ParameterError(f"{what} contains {value!r}; every entry must be a finite number > 0 {unit}")
        out.append(float(value))
    if not out:
        raise ParameterError(f"{what} is empty; give at least one value in {unit}")
    if len(set(out)) != len(out):
        raise ParameterError(f"{what}={tuple(out)!r} repeats a value; give each value once")
    return tuple(sorted(out))


def _size_grid(values: object) -> tuple[int, ...]:
    allowed = "a non-empty sequence of distinct integers >= 1 (square arrays: n means n×n)"
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ParameterError(f"sizes={values!r} is not allowed; give {allowed}")
    out = []
    for value in values:  # type: ignore[union-attr]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ParameterError(f"sizes contains {value!r}; every entry must be an integer >= 1 (n means an n×n array)")
        out.append(int(value))
    if not out:
        raise ParameterError(f"sizes is empty; give {allowed}, or leave it None for the single rows × cols array")
    if len(set(out)) != len(out):
        raise ParameterError(f"sizes={tuple(out)!r} repeats a value; give each size once")
    return tuple(sorted(out))


def _wire_grid(values: object) -> tuple[float, ...]:
    allowed = "a non-empty sequence of distinct finite resistances >= 0 Ω"
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ParameterError(f"r_wires_ohm={values!r} is not allowed; give {allowed}")
    out = []
    for value in values:  # type: ignore[union-attr]
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not math.isfinite(float(value)) or float(value) < 0:
            raise ParameterError(f"r_wires_ohm contains {value!r}; every entry must be a finite resistance >= 0 Ω")
        out.append(float(value))
    if not out:
        raise ParameterError(f"r_wires_ohm is empty; give {allowed}, or leave it None for the single r_wire_ohm")
    if len(set(out)) != len(out):
        raise ParameterError(f"r_wires_ohm={tuple(out)!r} repeats a value; give each resistance once")
    return tuple(sorted(out))


@dataclass(frozen=True)
class WriteMarginConfig:
    """The grid ``v_write_V × pulse_width_s`` plus the write-scheme settings shared by every point.

    The shared fields mean what they mean in :class:`~memspice.experiments.write_scheme.WriteSchemeConfig`.
    ``v_write_V`` and ``pulse_width_s`` are non-empty sequences of distinct finite values > 0
    (V and s); they are stored sorted ascending. Everything is validated before any simulator starts.

    ``sizes`` (optional): distinct integers >= 1, square arrays ``n × n``; when given it replaces
    ``rows`` and ``cols``. ``r_wires_ohm`` (optional): distinct finite resistances >= 0 Ω; when given
    it replaces ``r_wire_ohm``. Both are stored sorted ascending; :attr:`arrays` and :attr:`wires`
    are the (rows, cols) shapes and wire resistances actually swept, one map per pair.
    """

    v_write_V: tuple[float, ...] = (1.2, 1.6, 2.0, 2.4, 2.8, 3.2)
    pulse_width_s: tuple[float, ...] = (10e-9, 50e-9)
    scheme: str = "v2"
    rows: int = 8
    cols: int = 8
    model: str = "vteam"
    params: Mapping[str, Any] = field(default_factory=lambda: dict(WRITE_PARAMS))
    rise_s: float = 1e-9
    delay_s: float = 5e-9
    r_wire_ohm: float = 0.0
    pattern: str = "worst"
    seed: int = 0
    state_on: float = 0.0
    state_off: float = 1.0
    targets: tuple[tuple[int, int], ...] = ((0, 0),)
    target_state0: float = 0.0
    disturb_tolerance: float = 0.01
    switch_threshold: float = 0.5
    engine: str = AUTO
    timeout_s: float = 3600.0
    sizes: tuple[int, ...] | None = None
    r_wires_ohm: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "v_write_V", _positive_grid(self.v_write_V, "v_write_V", "V"))
        object.__setattr__(self, "pulse_width_s", _positive_grid(self.pulse_width_s, "pulse_width_s", "s"))
        if self.sizes is not None:
            object.__setattr__(self, "sizes", _size_grid(self.sizes))
        if self.r_wires_ohm is not None:
            object.__setattr__(self, "r_wires_ohm", _wire_grid(self.r_wires_ohm))
        # Every grid point must be a valid write-scheme config; building them checks the shared
        # fields (scheme, sizes, pattern, targets, model, engine) and the pulse timing, no simulation.
        first = self._checked_point(self.v_write_V[0], self.pulse_width_s[0], *self.arrays[0], self.wires[0])
        object.__setattr__(self, "params", dict(first.params))
        object.__setattr__(self, "targets", first.targets)
        for rows, cols in self.arrays:
            for r_wire in self.wires:
                for width in self.pulse_width_s:
                    self._checked_point(self.v_write_V[0], width, rows, cols, r_wire)

    @property
    def arrays(self) -> tuple[tuple[int, int], ...]:
        """The (rows, cols) shapes swept: ``(n, n)`` per entry of ``sizes``, else ``(rows, cols)``."""
        return ((self.rows, self.cols),) if self.sizes is None else tuple((n, n) for n in self.sizes)

    @property
    def wires(self) -> tuple[float, ...]:
        """The wire resistances swept (Ω): ``r_wires_ohm``, else ``(r_wire_ohm,)``."""
        return (self.r_wire_ohm,) if self.r_wires_ohm is None else self.r_wires_ohm

    @property
    def n_points(self) -> int:
        return len(self.arrays) * len(self.wires) * len(self.pulse_width_s) * len(self.v_write_V)

    def _checked_point(self, v: float, width: float, rows: int, cols: int, r_wire: float) -> WriteSchemeConfig:
        try:
            return self.point(v, width, rows=rows, cols=cols, r_wire_ohm=r_wire)
        except ParameterError as error:
            if self.sizes is None:
                raise
            raise ParameterError(f"sizes contains {rows} ({rows}×{cols} array): {error}") from None

    def point(self, v_write_V: float, pulse_width_s: float, *, rows: int | None = None, cols: int | None = None,
              r_wire_ohm: float | None = None) -> WriteSchemeConfig:
        """The write-scheme config of one grid point: every shared field carried over by name;
        ``rows``, ``cols`` and ``r_wire_ohm`` default to the config's own fields."""
        shared = {f.name: getattr(self, f.name) for f in fields(WriteSchemeConfig) if f.init and hasattr(self, f.name)}
        shared["params"] = dict(self.params)
        for name, value in (("rows", rows), ("cols", cols), ("r_wire_ohm", r_wire_ohm)):
            if value is not None:
                shared[name] = value
        return WriteSchemeConfig(**{**shared, "v_write_V": v_write_V, "pulse_width_s": pulse_width_s})


@dataclass(frozen=True)
class WriteMarginResult:
    """One row per (array, r_wire, width, V_W), columns :data:`TABLE_COLUMNS`, sorted in that order."""

    config: WriteMarginConfig
    table: pd.DataFrame
    engine: str
    t_total_s: float

    def panel(self, rows: int, cols: int, r_wire_ohm: float) -> pd.DataFrame:
        """The rows of one (array, r_wire) map."""
        table = self.table
        return table[(table["rows"] == rows) & (table["cols"] == cols) & (table["r_wire_ohm"] == r_wire_ohm)]

    def window(self) -> list[dict[str, Any]]:
        """Per (array, r_wire, width): the smallest and largest passing V_W (``None`` when no point
        passes) and whether the passing amplitudes are contiguous on the grid (no failing V_W between them)."""
        out = []
        for n_rows, n_cols in self.config.arrays:
            for r_wire in self.config.wires:
                panel = self.panel(n_rows, n_cols, r_wire)
                for width in self.config.pulse_width_s:
                    key = {"rows": n_rows, "cols": n_cols, "r_wire_ohm": r_wire, "pulse_width_s": width}
                    rows = panel[panel.pulse_width_s == width].sort_values("v_write_V")
                    passed = rows[rows.passed]
                    if passed.empty:
                        out.append({**key, "v_write_min_V": None, "v_write_max_V": None, "n_passed": 0,
                                    "contiguous": True})
                        continue
                    lo, hi = float(passed.v_write_V.min()), float(passed.v_write_V.max())
                    inside = rows[(rows.v_write_V >= lo) & (rows.v_write_V <= hi)]
                    out.append({**key, "v_write_min_V": lo, "v_write_max_V": hi, "n_passed": len(passed),
                                "contiguous": bool(inside.passed.all())})
        return out

    def summary(self) -> dict[str, Any]:
        """``rows``/``cols`` (``r_wire_ohm``) are ``None`` when ``sizes`` (``r_wires_ohm``) replaced
        them; ``arrays`` and ``r_wires_ohm`` always list what was swept."""
        config = self.config
        single_array = config.sizes is None
        return {
            "scheme": config.scheme, "rows": config.rows if single_array else None,
            "cols": config.cols if single_array else None, "model": config.model,
            "params": dict(config.params), "r_wire_ohm": config.r_wire_ohm if config.r_wires_ohm is None else None,
            "arrays": [list(shape) for shape in config.arrays], "r_wires_ohm": list(config.wires),
            "pattern": config.pattern, "targets": [list(t) for t in config.targets],
            "v_write_V": list(config.v_write_V), "pulse_width_s": list(config.pulse_width_s),
            "disturb_tolerance": config.disturb_tolerance, "switch_threshold": config.switch_threshold,
            "pass_definition": ("every selected cell switched (|d_state| >= switch_threshold) and every "
                                "half-selected and unselected |d_state| <= disturb_tolerance"),
            "n_points": len(self.table), "n_passed": int(self.table.passed.sum()),
            "window": self.window(),
            "engine": self.engine, "engine_requested": config.engine, "t_total_s": self.t_total_s,
        }


def run_write_margin(
    config: WriteMarginConfig, *, progress: Callable[[float, float, bool, float], None] | None = None,
    on_point: Callable[[dict[str, Any], int, int], None] | None = None,
) -> WriteMarginResult:
    """Run one write pulse per (array, r_wire, width, V_W). After each point
    ``progress(v_write_V, pulse_width_s, passed, seconds)`` is called, and ``on_point(row, done, total)``
    with the point's table row (a dict keyed by :data:`TABLE_COLUMNS`), the points done so far and
    the number of points."""
    started = time.perf_counter()
    rows = []
    engines = set()
    total = config.n_points
    for n_rows, n_cols in config.arrays:
        for r_wire in config.wires:
            for width in config.pulse_width_s:
                for v in config.v_write_V:
                    result = run_write_scheme(config.point(v, width, rows=n_rows, cols=n_cols, r_wire_ohm=r_wire))
                    summary = result.summary()
                    engines.add(result.backend)
                    passed = summary["verdict"] == "pass"
                    row = {
                        "rows": n_rows, "cols": n_cols, "r_wire_ohm": r_wire,
                        "v_write_V": v, "pulse_width_s": width, "switched": bool(summary["all_selected_switched"]),
                        "worst_half_selected_abs_d_state": summary["worst_half_selected_abs_d_state"],
                        "worst_unselected_abs_d_state": summary["worst_unselected_abs_d_state"],
                        "worst_half_selected_v_peak_V": summary["worst_half_selected_v_peak_V"],
                        "passed": passed, "energy_J": summary["energy_J"], "wall_time_s": result.t_total_s,
                    }
                    rows.append(row)
                    if progress is not None:
                        progress(v, width, passed, result.t_total_s)
                    if on_point is not None:
                        on_point(dict(row), len(rows), total)
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    return WriteMarginResult(config=config, table=table, engine=",".join(sorted(engines)),
                             t_total_s=time.perf_counter() - started)


#: Point kinds of the pass map: colour, marker, legend label.
_KINDS: tuple[tuple[str, str, str], ...] = (
    ("tab:green", "o", "pass"),
    ("tab:red", "X", "fail: disturb (targets switched, another cell moved)"),
    ("0.6", "s", "fail: no switch (a target did not switch)"),
)


def plot_write_margin_grid(result: WriteMarginResult, path: Path, *, dpi: int = 150) -> Path:
    """Pass/fail maps over V_W × pulse width, one panel per (array size, r_wire): rows of panels are
    array sizes, columns wire resistances. Passing points are green (with the passing V_W span
    shaded), failing points red when the targets switched (disturb) and grey when they did not."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from memspice.analysis.plots import _write_atomically

    config = result.config
    arrays, wires = config.arrays, config.wires
    v = np.asarray(config.v_write_V, dtype=float)
    widths_ns = np.asarray(config.pulse_width_s, dtype=float) * 1e9
    n_r, n_c = len(arrays), len(wires)
    size = (7.0, 4.8) if n_r * n_c == 1 else (0.6 + 3.6 * n_c, 1.3 + 2.9 * n_r)
    figure = Figure(figsize=size, layout="constrained")
    axes = np.atleast_2d(figure.subplots(n_r, n_c, sharex=True, sharey=True, squeeze=False))
    vv, ww = np.meshgrid(v, widths_ns)
    index = pd.MultiIndex.from_product([config.pulse_width_s, config.v_write_V])
    shape = (widths_ns.size, v.size)
    for i, (n_rows, n_cols) in enumerate(arrays):
        for j, r_wire in enumerate(wires):
            ax = axes[i, j]
            grid = result.panel(n_rows, n_cols, r_wire).set_index(["pulse_width_s", "v_write_V"])
            passed = grid.loc[index, "passed"].to_numpy(dtype=bool).reshape(shape)
            switched = grid.loc[index, "switched"].to_numpy(dtype=bool).reshape(shape)
            masks = (passed, ~passed & switched, ~passed & ~switched)
            for mask, (colour, marker, _) in zip(masks, _KINDS):
                if mask.any():
                    ax.scatter(vv[mask], ww[mask], s=110 if n_r * n_c > 1 else 160, c=colour, marker=marker,
                               edgecolors="black", linewidths=0.6, zorder=3)
            for k in range(widths_ns.size):  # shade the passing V_W span of every width
                ok = v[passed[k]]
                if ok.size:
                    ax.plot([ok.min(), ok.max()], [widths_ns[k]] * 2, color="tab:green", linewidth=8, alpha=0.25,
                            solid_capstyle="round", zorder=2)
            ax.set_title(f"{n_rows}×{n_cols} array, r_wire = {r_wire:g} Ω", fontsize=9)
            ax.grid(alpha=0.3)
    ax = axes[0, 0]
    if widths_ns.size > 1 and widths_ns.max() / widths_ns.min() >= 10:
        ax.set_yscale("log")
    ax.set_yticks(list(widths_ns), [f"{w:g}" for w in widths_ns])
    ax.minorticks_off()
    pad = 0.08 * (v.max() - v.min()) if v.size > 1 else 0.1 * v[0]
    ax.set_xlim(v.min() - pad, v.max() + pad)
    if v.size <= 12:  # tick every amplitude of the grid
        ax.set_xticks(list(v), [f"{x:g}" for x in v])
    for bottom in axes[-1, :]:
        bottom.set_xlabel("Write amplitude V_W (V)")
    for left in axes[:, 0]:
        left.set_ylabel("Pulse width (ns)")
    targets = ";".join(f"{r},{c}" for r, c in config.targets)
    figure.suptitle(f"{config.scheme} write margin, {config.model}, pattern {config.pattern}, target(s) {targets}, "
                    f"disturb tolerance {config.disturb_tolerance:g}", fontsize=10)
    handles = [Line2D([], [], linestyle="", marker=m, markersize=9, markerfacecolor=c, markeredgecolor="black",
                      label=label) for c, m, label in _KINDS]
    figure.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    path = Path(path)
    _write_atomically(figure, path, dpi=dpi)
    return path


def write_write_margin_report(result: WriteMarginResult, out_dir: Path) -> dict[str, Path]:
    """Write ``write_margin.csv``, ``write_margin.png`` (one panel per array size × r_wire) and,
    last, ``summary.json``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").unlink(missing_ok=True)
    written = {"write_margin.csv": write_csv_atomic(out_dir / "write_margin.csv", result.table)}
    written["write_margin.png"] = plot_write_margin_grid(result, out_dir / "write_margin.png")
    written["summary.json"] = write_json_atomic(out_dir / "summary.json", result.summary())
    return written
