"""Write margin: the (V_W, pulse width) window in which a write scheme passes (issue 5, point 4).

A grid of write-scheme points (:mod:`memspice.studies.write_scheme`): every point is the
``base`` write-scheme config with its write amplitude and pulse width taken from the grid
``v_write_V × pulse_width_s`` and, optionally, its square array size from ``sizes`` and its
wire resistance from ``r_wires_ohm`` (one V_W × width map per (size, r_wire)). The points are
a :class:`~memspice.flows.grid.Grid`: run one after another here, by a sweep executor in
parallel later. A point passes when every selected cell switched (|d_state| ≥
``switch_threshold``) and no half-selected or unselected cell drifted more than
``disturb_tolerance`` — the write scheme's own verdict. The passing points are the operating
window a designer signs off: for each width, the smallest and largest passing V_W.

With the default device (VTEAM, thresholds ±1.4 V, :data:`~memspice.spicelib.presets.WRITE_DEVICE_PARAMS`)
and ideal wires, the ``v2`` window's lower edge is set by the selected cell's threshold
(V_W > 1.4 V, plus enough time to switch at the given width) and its upper edge by the
half-selected cells' threshold (V_W/2 < 1.4 V, i.e. V_W < 2.8 V).
"""

from __future__ import annotations

import dataclasses
import functools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from memspice.config import ConfigBase, ConfigError, setting
from memspice.engine.options import RunOptions
from memspice.flows.grid import Grid, GridPoint, run_grid
from memspice.engine.budget import RunCost
from memspice.errors import RunInterrupted
from memspice.studies.base import ProgressCallback, Study, register_study
from memspice.studies.report import run_is_complete, write_report
from memspice.studies.write_scheme import MAX_LINES, WriteSchemeConfig, WriteSchemeResult, run_write_scheme
from memspice.studies.write_scheme import cost as write_scheme_cost

if TYPE_CHECKING:  # pandas is imported where a table is built, not with the study
    import pandas as pd

#: Columns of :attr:`WriteMarginResult.table`, in order.
TABLE_COLUMNS: tuple[str, ...] = (
    "rows", "cols", "r_wire_ohm", "v_write_V", "pulse_width_s", "switched", "worst_half_selected_abs_d_state",
    "worst_unselected_abs_d_state", "worst_half_selected_v_peak_V", "passed", "energy_J", "wall_time_s", "netlist",
)
#: Most points of one grid.
MAX_POINTS = 2000
#: The grid's axes, slowest first, as coordinates of every point.
AXES: tuple[str, ...] = ("rows", "cols", "r_wire_ohm", "pulse_width_s", "v_write_V")
#: Grid field -> the fields of the base config it replaces.
_REPLACES: dict[str, tuple[str, ...]] = {
    "v_write_V": ("v_write_V",), "pulse_width_s": ("pulse_width_s",), "sizes": ("rows", "cols"),
    "r_wires_ohm": ("r_wire_ohm",),
}
_BASE_DEFAULTS = WriteSchemeConfig()


@dataclass(frozen=True)
class WriteMarginConfig(ConfigBase):
    """The grid ``v_write_V × pulse_width_s`` (× ``sizes`` × ``r_wires_ohm`` when given) of write-scheme
    points sharing ``base``.

    Every axis is a non-empty list of distinct values, stored ascending. An axis replaces the
    base fields it sweeps (``sizes``: ``rows`` and ``cols``, square arrays n × n;
    ``r_wires_ohm``: ``r_wire_ohm``), which must stay at their defaults. :attr:`arrays` and
    :attr:`wires` are the (rows, cols) shapes and wire resistances swept; :attr:`grid` the points.
    """

    base: WriteSchemeConfig = setting(
        default_factory=WriteSchemeConfig,
        doc="the write-scheme settings every point shares (its v_write_V and pulse_width_s come from the grid)",
    )
    v_write_V: tuple[float, ...] = setting(
        (1.2, 1.6, 2.0, 2.4, 2.8, 3.2), unit="V", low=0.0, low_open=True, high=20.0, cli="v-writes",
        doc="write amplitudes V_W swept, comma separated",
    )
    pulse_width_s: tuple[float, ...] = setting(
        (10e-9, 50e-9, 200e-9), unit="s", low=1e-12, high=10e-6, cli="pulse-widths",
        doc="pulse widths swept, comma separated",
    )
    sizes: tuple[int, ...] | None = setting(
        None, low=1, high=MAX_LINES, doc="also sweep square arrays N x N, comma separated (replaces --rows/--cols)",
    )
    r_wires_ohm: tuple[float, ...] | None = setting(
        None, unit="Ω", low=0.0, high=1e4, cli="r-wires",
        doc="also sweep the wire segment resistance, comma separated (replaces --r-wire)",
    )

    def check(self) -> None:
        for name in ("v_write_V", "pulse_width_s", "sizes", "r_wires_ohm"):
            values = getattr(self, name)
            if values is None:
                continue
            if not values:
                raise ConfigError(name, values, "at least one value", reason="is empty")
            if len(set(values)) != len(values):
                raise ConfigError(name, values, "distinct values, each given once", reason="repeats a value")
            object.__setattr__(self, name, tuple(sorted(values)))
            for field in _REPLACES[name]:
                value, default = getattr(self.base, field), getattr(_BASE_DEFAULTS, field)
                if value != default:
                    flag = _field_flag(type(self), name)
                    raise ConfigError(f"base.{field}", value, f"its default {default:g}, since {name} ({flag}) sweeps it",
                                      reason="is replaced by the grid")
        n_points = len(self.arrays) * len(self.wires) * len(self.pulse_width_s) * len(self.v_write_V)
        if n_points > MAX_POINTS:
            raise ConfigError("v_write_V", None, f"a grid of at most {MAX_POINTS} points: sweep fewer amplitudes, "
                              "widths, sizes or wire resistances", reason=f"makes a grid of {n_points} points")
        self.grid  # builds (and so checks) the config of every point

    @property
    def arrays(self) -> tuple[tuple[int, int], ...]:
        """The (rows, cols) shapes swept: ``(n, n)`` per entry of ``sizes``, else the base's ``(rows, cols)``."""
        return ((self.base.rows, self.base.cols),) if self.sizes is None else tuple((n, n) for n in self.sizes)

    @property
    def wires(self) -> tuple[float, ...]:
        """The wire resistances swept (Ω): ``r_wires_ohm``, else the base's ``(r_wire_ohm,)``."""
        return (self.base.r_wire_ohm,) if self.r_wires_ohm is None else self.r_wires_ohm

    @property
    def n_points(self) -> int:
        return len(self.grid)

    @functools.cached_property
    def grid(self) -> Grid[WriteSchemeConfig]:
        """Every point's write-scheme config, arrays slowest and V_W fastest (the table's order)."""
        points = []
        for rows, cols in self.arrays:
            for r_wire in self.wires:
                for width in self.pulse_width_s:
                    for v in self.v_write_V:
                        coords = dict(zip(AXES, (rows, cols, r_wire, width, v)))
                        points.append(GridPoint(coords, self._checked_point(coords)))
        return Grid(AXES, tuple(points))

    def point(self, v_write_V: float, pulse_width_s: float, *, rows: int | None = None, cols: int | None = None,
              r_wire_ohm: float | None = None) -> WriteSchemeConfig:
        """The write-scheme config of one point: ``base`` with these values (``rows``, ``cols`` and
        ``r_wire_ohm`` default to the base's)."""
        changes: dict[str, Any] = {"v_write_V": v_write_V, "pulse_width_s": pulse_width_s}
        for name, value in (("rows", rows), ("cols", cols), ("r_wire_ohm", r_wire_ohm)):
            if value is not None:
                changes[name] = value
        return dataclasses.replace(self.base, **changes)

    def _checked_point(self, coords: Mapping[str, Any]) -> WriteSchemeConfig:
        try:
            return self.point(coords["v_write_V"], coords["pulse_width_s"], rows=coords["rows"], cols=coords["cols"],
                              r_wire_ohm=coords["r_wire_ohm"])
        except ConfigError as error:
            field = error.path.split("[")[0]
            axis = {"rows": "sizes", "cols": "sizes", "targets": "sizes", "pulse_width_s": "pulse_width_s"}.get(field)
            if axis is None or getattr(self, axis) is None:
                raise ConfigError(f"base.{error.path}", error.value, error.allowed, reason=error.reason) from None
            value = coords["rows"] if axis == "sizes" else coords["pulse_width_s"]
            where = f"a {coords['rows']}×{coords['cols']} array" if axis == "sizes" else "a point"
            inner = f"{error.path} {error.reason or 'is not allowed'}"
            raise ConfigError(axis, value, error.allowed, reason=f"makes {where}, where {inner}") from None


def _field_flag(cls: type, name: str) -> str:
    spec = next(f for f in dataclasses.fields(cls) if f.name == name).metadata["memspice"]
    return "--" + (spec.cli or name.replace("_", "-"))


def point_stem(coords: Mapping[str, Any]) -> str:
    """File stem of one point's netlist, e.g. ``write_scheme_8x8_0ohm_50ns_2V``."""
    return (f"write_scheme_{coords['rows']}x{coords['cols']}_{coords['r_wire_ohm']:g}ohm_"
            f"{coords['pulse_width_s'] * 1e9:g}ns_{coords['v_write_V']:g}V").replace("+", "")


@dataclass(frozen=True)
class WriteMarginResult:
    """One row per (array, r_wire, width, V_W), columns :data:`TABLE_COLUMNS`, in the grid's order;
    ``points`` holds every point's write-scheme result (netlists, states)."""

    config: WriteMarginConfig
    table: pd.DataFrame
    points: tuple[WriteSchemeResult, ...]
    engine: str
    engine_version: str
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
                    if rows.empty:  # not run: an interrupted margin search
                        continue
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
        config, base = self.config, self.config.base
        single_array = config.sizes is None
        return {
            "scheme": base.scheme, "rows": base.rows if single_array else None,
            "cols": base.cols if single_array else None, "model": base.model,
            "params": dict(base.params), "r_wire_ohm": base.r_wire_ohm if config.r_wires_ohm is None else None,
            "arrays": [list(shape) for shape in config.arrays], "r_wires_ohm": list(config.wires),
            "pattern": base.pattern, "targets": [list(t) for t in base.targets],
            "v_write_V": list(config.v_write_V), "pulse_width_s": list(config.pulse_width_s),
            "disturb_tolerance": base.disturb_tolerance, "switch_threshold": base.switch_threshold,
            "pass_definition": ("every selected cell switched (|d_state| >= switch_threshold) and every "
                                "half-selected and unselected |d_state| <= disturb_tolerance"),
            "n_points": len(self.table), "n_passed": int(self.table.passed.sum()),
            "window": self.window(),
            "engine": {"backend": self.engine, "version": self.engine_version},
            "netlists": list(self.table.netlist),
            "t_total_s": self.t_total_s,
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        """``write_margin``: the table, one row per point."""
        return {"write_margin": self.table}


def _row(coords: Mapping[str, Any], result: WriteSchemeResult) -> dict[str, Any]:
    summary = result.summary()
    return {
        **coords, "switched": bool(summary["all_selected_switched"]),
        "worst_half_selected_abs_d_state": summary["worst_half_selected_abs_d_state"],
        "worst_unselected_abs_d_state": summary["worst_unselected_abs_d_state"],
        "worst_half_selected_v_peak_V": summary["worst_half_selected_v_peak_V"],
        "passed": summary["verdict"] == "pass", "energy_J": summary["energy_J"], "wall_time_s": result.t_total_s,
        "netlist": point_stem(coords) + Path(result.netlist_name).suffix,
    }


def tabulate(config: WriteMarginConfig, results: list[WriteSchemeResult], *, t_total_s: float) -> WriteMarginResult:
    """The margin result of every point's write-scheme result (in the order of ``config.grid``)."""
    import pandas as pd

    rows = [_row(point.coords, result) for point, result in zip(config.grid, results)]
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    return WriteMarginResult(
        config=config, table=table, points=tuple(results),
        engine=",".join(sorted({r.backend for r in results})),
        engine_version=",".join(sorted({r.engine_version for r in results})), t_total_s=t_total_s,
    )


def run_write_margin(
    config: WriteMarginConfig, *, options: RunOptions | None = None, progress: ProgressCallback | None = None,
    executor: Any = None,
) -> WriteMarginResult:
    """Run one write pulse per point of ``config.grid`` (on ``executor`` when given, e.g. a process
    pool: the points are independent); ``progress(done, total, label, seconds)`` after each, the
    label naming the point and its verdict."""
    started = time.perf_counter()

    def on_point(done: int, point: GridPoint[WriteSchemeConfig], result: WriteSchemeResult) -> None:
        if progress is not None:
            c = point.coords
            label = (f"{c['rows']}x{c['cols']}, r_wire {c['r_wire_ohm']:g} ohm, V_W {c['v_write_V']:g} V, "
                     f"{c['pulse_width_s']:g} s: {result.summary()['verdict']}")
            progress(done, len(config.grid), label, result.t_total_s)

    try:
        results = run_grid(config.grid, functools.partial(run_write_scheme, options=options), on_point=on_point,
                           executor=executor)
    except RunInterrupted as stop:  # keep the finished points, tabulated
        stop.partial = tabulate(config, stop.partial, t_total_s=time.perf_counter() - started)
        raise
    return tabulate(config, results, t_total_s=time.perf_counter() - started)


def write_margin_plot_arguments(result: WriteMarginResult) -> dict[str, Any]:
    """The arguments of :func:`memspice.analysis.write_plots.plot_write_margin` (all but ``path``):
    pass and switch maps ``(arrays, wires, widths, amplitudes)``, the axes and the titles."""
    config, base = result.config, result.config.base
    shape = (len(config.arrays), len(config.wires), len(config.pulse_width_s), len(config.v_write_V))
    targets = ";".join(f"{r},{c}" for r, c in base.targets)
    return {
        "passed": result.table.passed.to_numpy(dtype=bool).reshape(shape),
        "switched": result.table.switched.to_numpy(dtype=bool).reshape(shape),
        "v_write_V": config.v_write_V, "pulse_width_s": config.pulse_width_s,
        "panel_titles": [[f"{rows}×{cols} array, r_wire = {r_wire:g} Ω" for r_wire in config.wires]
                         for rows, cols in config.arrays],
        "title": (f"{base.scheme} write margin, {base.model}, pattern {base.pattern}, target(s) {targets}, "
                  f"disturb tolerance {base.disturb_tolerance:g}"),
    }


def write_write_margin_report(result: WriteMarginResult, out_dir: Path) -> dict[str, Path]:
    """Write every point's netlist (with the modules VACASK netlists load), ``write_margin.csv``,
    ``write_margin.png`` (one panel per array size × r_wire; not for an interrupted run, whose
    maps have holes) and, last, ``summary.json``."""
    from memspice.analysis.write_plots import plot_write_margin

    modules: dict[str, bytes] = {}
    for point in result.points:
        modules.update(point.modules)
    return write_report(
        out_dir,
        texts={name: point.netlist_text for name, point in zip(result.table.netlist, result.points)},
        files=modules,
        tables={f"{name}.csv": frame for name, frame in result.tables().items()},
        figures={"write_margin.png": lambda path: plot_write_margin(path=path, **write_margin_plot_arguments(result))}
        if run_is_complete() else {},
        summary=result.summary(),
    )


_EPILOG = """\
outputs in DIR:
  write_margin.csv   one row per point: rows, cols, r_wire_ohm, v_write_V, pulse_width_s, switched, ..., netlist
  write_margin.png   one pass/fail panel per array size x r_wire
  summary.json       the passing V_W window per size, r_wire and width
  write_scheme_*.cir the netlist of every point (.sim with its .va and .osdi files for VACASK)

examples:
  memspice write-margin --scheme v2 --rows 8 --cols 8 --v-writes 1.2,1.6,2.0,2.4,2.8,3.2 --pulse-widths 10n,50n,200n --out out/margin_v2
  memspice write-margin --sizes 8,32 --r-wires 0,5 --v-writes 1.2,1.6,2.0,2.4,2.8,3.2 --pulse-widths 10n,20n,50n,100n --out out/margin_grid
"""


_TITLE = "operating window of a write scheme: pass/fail over write amplitude x pulse width"
_DESCRIPTION = (
    "Run the write-scheme validation at every (V_W, pulse width) of a grid, optionally also over square array "
    "sizes and wire resistances, and map where it passes: every target switched and every other cell moved "
    "less than the disturb tolerance. The window a designer signs off is the passing V_W range at each width."
)


def summary_lines(result: WriteMarginResult) -> list[str]:
    several = len(result.config.arrays) * len(result.config.wires) > 1
    lines = []
    for window in result.window():
        low, high = window["v_write_min_V"], window["v_write_max_V"]
        span = f"{low:g} .. {high:g} V" if low is not None else "none"
        where = f"{window['rows']}x{window['cols']}, r_wire {window['r_wire_ohm']:g} ohm, " if several else ""
        lines.append(f"{where}pulse width {window['pulse_width_s']:g} s: passing V_W {span}")
    return lines


def cost(config: WriteMarginConfig) -> RunCost:
    """The largest array at the longest pulse width, one simulation per grid point."""
    largest = max(config.grid, key=lambda point: (point.coords["rows"] * point.coords["cols"],
                                                  point.coords["pulse_width_s"], point.coords["r_wire_ohm"]))
    return dataclasses.replace(write_scheme_cost(largest.config), simulations=config.n_points,
                               points_option="--pulse-widths")


STUDY = register_study(Study(
    name="write-margin", Config=WriteMarginConfig, title=_TITLE, description=_DESCRIPTION, epilog=_EPILOG,
    loop=run_write_margin, cost=cost, report=write_write_margin_report, summary_lines=summary_lines, parallel=True,
))
