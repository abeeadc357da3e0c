"""Write margin: the (V_W, pulse width) window in which a write scheme passes (issue 5, point 4).

Every point of the grid ``v_write_V × pulse_width_s`` is one run of
:func:`memspice.experiments.write_scheme.run_write_scheme` on the same array, pattern,
targets and scheme. A point passes when every selected cell switched (|d_state| ≥
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
from memspice.experiments.output import write_csv_atomic, write_json_atomic
from memspice.experiments.write_scheme import (
    WRITE_PARAMS,
    WriteSchemeConfig,
    run_write_scheme,
)

#: Columns of :attr:`WriteMarginResult.table`, in order.
TABLE_COLUMNS: tuple[str, ...] = (
    "v_write_V", "pulse_width_s", "switched", "worst_half_selected_abs_d_state",
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


@dataclass(frozen=True)
class WriteMarginConfig:
    """The grid ``v_write_V × pulse_width_s`` plus the write-scheme settings shared by every point.

    The shared fields mean what they mean in :class:`~memspice.experiments.write_scheme.WriteSchemeConfig`.
    ``v_write_V`` and ``pulse_width_s`` are non-empty sequences of distinct finite values > 0
    (V and s); they are stored sorted ascending. Everything is validated before any simulator starts.
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

    def __post_init__(self) -> None:
        object.__setattr__(self, "v_write_V", _positive_grid(self.v_write_V, "v_write_V", "V"))
        object.__setattr__(self, "pulse_width_s", _positive_grid(self.pulse_width_s, "pulse_width_s", "s"))
        # Every grid point must be a valid write-scheme config; building them checks the shared
        # fields (scheme, sizes, pattern, targets, model, engine) and the pulse timing, no simulation.
        first = self.point(self.v_write_V[0], self.pulse_width_s[0])
        object.__setattr__(self, "params", dict(first.params))
        object.__setattr__(self, "targets", first.targets)
        for width in self.pulse_width_s[1:]:
            self.point(self.v_write_V[0], width)

    def point(self, v_write_V: float, pulse_width_s: float) -> WriteSchemeConfig:
        """The write-scheme config of one grid point: every shared field carried over by name."""
        shared = {f.name: getattr(self, f.name) for f in fields(WriteSchemeConfig) if f.init and hasattr(self, f.name)}
        shared["params"] = dict(self.params)
        return WriteSchemeConfig(**{**shared, "v_write_V": v_write_V, "pulse_width_s": pulse_width_s})


@dataclass(frozen=True)
class WriteMarginResult:
    """One row per (V_W, width), columns :data:`TABLE_COLUMNS`, sorted by width then V_W."""

    config: WriteMarginConfig
    table: pd.DataFrame
    engine: str
    t_total_s: float

    def window(self) -> list[dict[str, Any]]:
        """Per width: the smallest and largest passing V_W (``None`` when no point passes) and
        whether the passing amplitudes are contiguous on the grid (no failing V_W between them)."""
        out = []
        for width in self.config.pulse_width_s:
            rows = self.table[self.table.pulse_width_s == width].sort_values("v_write_V")
            passed = rows[rows.passed]
            if passed.empty:
                out.append({"pulse_width_s": width, "v_write_min_V": None, "v_write_max_V": None,
                            "n_passed": 0, "contiguous": True})
                continue
            lo, hi = float(passed.v_write_V.min()), float(passed.v_write_V.max())
            inside = rows[(rows.v_write_V >= lo) & (rows.v_write_V <= hi)]
            out.append({"pulse_width_s": width, "v_write_min_V": lo, "v_write_max_V": hi,
                        "n_passed": len(passed), "contiguous": bool(inside.passed.all())})
        return out

    def summary(self) -> dict[str, Any]:
        config = self.config
        return {
            "scheme": config.scheme, "rows": config.rows, "cols": config.cols, "model": config.model,
            "params": dict(config.params), "r_wire_ohm": config.r_wire_ohm, "pattern": config.pattern,
            "targets": [list(t) for t in config.targets],
            "v_write_V": list(config.v_write_V), "pulse_width_s": list(config.pulse_width_s),
            "disturb_tolerance": config.disturb_tolerance, "switch_threshold": config.switch_threshold,
            "pass_definition": ("every selected cell switched (|d_state| >= switch_threshold) and every "
                                "half-selected and unselected |d_state| <= disturb_tolerance"),
            "n_points": len(self.table), "n_passed": int(self.table.passed.sum()),
            "window": self.window(),
            "engine": self.engine, "engine_requested": config.engine, "t_total_s": self.t_total_s,
        }


def run_write_margin(
    config: WriteMarginConfig, *, progress: Callable[[float, float, bool, float], None] | None = None
) -> WriteMarginResult:
    """Run one write pulse per (V_W, width); ``progress(v_write_V, pulse_width_s, passed, seconds)``
    is called after each point."""
    started = time.perf_counter()
    rows = []
    engines = set()
    for width in config.pulse_width_s:
        for v in config.v_write_V:
            result = run_write_scheme(config.point(v, width))
            summary = result.summary()
            engines.add(result.backend)
            passed = summary["verdict"] == "pass"
            rows.append({
                "v_write_V": v, "pulse_width_s": width, "switched": bool(summary["all_selected_switched"]),
                "worst_half_selected_abs_d_state": summary["worst_half_selected_abs_d_state"],
                "worst_unselected_abs_d_state": summary["worst_unselected_abs_d_state"],
                "worst_half_selected_v_peak_V": summary["worst_half_selected_v_peak_V"],
                "passed": passed, "energy_J": summary["energy_J"], "wall_time_s": result.t_total_s,
            })
            if progress is not None:
                progress(v, width, passed, result.t_total_s)
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    return WriteMarginResult(config=config, table=table, engine=",".join(sorted(engines)),
                             t_total_s=time.perf_counter() - started)


def write_write_margin_report(result: WriteMarginResult, out_dir: Path) -> dict[str, Path]:
    """Write ``write_margin.csv``, ``write_margin.png`` and, last, ``summary.json``."""
    from memspice.analysis.crossbar_plots import plot_write_margin

    config = result.config
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").unlink(missing_ok=True)
    written = {"write_margin.csv": write_csv_atomic(out_dir / "write_margin.csv", result.table)}
    grid = result.table.set_index(["pulse_width_s", "v_write_V"])
    index = pd.MultiIndex.from_product([config.pulse_width_s, config.v_write_V])
    shape = (len(config.pulse_width_s), len(config.v_write_V))
    passed = grid.loc[index, "passed"].to_numpy(dtype=bool).reshape(shape)
    switched = grid.loc[index, "switched"].to_numpy(dtype=bool).reshape(shape)
    written["write_margin.png"] = plot_write_margin(
        config.v_write_V, config.pulse_width_s, passed, out_dir / "write_margin.png", switched=switched,
        title=(f"{config.scheme} write margin, {config.rows}×{config.cols} {config.model}, "
               f"r_wire = {config.r_wire_ohm:g} Ω, pattern {config.pattern}, "
               f"disturb tolerance {config.disturb_tolerance:g}"),
    )
    written["summary.json"] = write_json_atomic(out_dir / "summary.json", result.summary())
    return written
