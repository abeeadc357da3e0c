"""Coincidence (outer-product) writes after Burr et al. (IEDM 2014; DOMAIN.md §4).

The weight update of backpropagation on a crossbar is an outer product, ΔW ∝ x δᵀ. Burr's
array does it in one parallel step: every word line carries a train of half-amplitude
pulses that encodes its x_i, every bit line a train that encodes its δ_j, and only where a
row pulse and a column pulse coincide does a cell see the full V_W, above the switching
threshold; half-selected cells see V_W/2, below it, and do not move. The number of
coincidences at cell (i, j) is the product x_i·δ_j.

Here the trains are deterministic, so the product is exact: with x_max = max x and
d_max = max |δ| over one sign, the update has x_max·d_max time slots indexed (a, b),
a < x_max, b < d_max. Word line i pulses in every slot with a < x_i, bit line j in every slot
with b < |δ_j|, so cell (i, j) sees exactly x_i·|δ_j| coincidences. Signs take two sets of
slots ("signs need two steps"): the columns with δ > 0 in the first set (rows at +V_W/2,
columns at −V_W/2: coincident cells see +V_W), those with δ < 0 in the second set with the
polarities reversed (−V_W). Each slot is one :class:`~memspice.circuits.line_schedule.Phase`;
the whole update, plus a read of every row before and after it, is one transient.

What is reported is measured on the simulated waveforms, not taken from the construction:
per cell, the pulses where the cell voltage passes ±0.75·V_W (:data:`COUNT_LEVEL`), the
largest |voltage| outside those pulses (must stay ≈ V_W/2), the state change Δx and the
conductance change ΔG read by the simulator, each fitted to the expected product table with
one scale factor.

Default pulses: VTEAM with :data:`~memspice.experiments.write_scheme.WRITE_PARAMS` moves
x at dx/dt = (k/d)·(|V|/1.4 V − 1) = 1e8 /s·(|V|/1.4 V − 1) above threshold. A trapezoid of
amplitude V_W = a·1.4 V, flat top w and edges r moves x by (k/d)·[(a − 1)·w + (a − 1)²/a·r]:
at V_W = 2.0 V, w = 0.5 ns, r = 0.2 ns that is 1e8·(0.4286·0.5 + 0.1286·0.2)·1e-9 = 0.0240
per coincidence (ngspice gives 0.0236: its 25 ps time step at the pulse corners), so the 16
coincidences of a 4 × 4 product move x by 0.38 from 0.5, inside [0, 1]. (A 10 ns flat top would move it 0.43 per pulse: one coincidence would nearly
saturate the cell.) VTEAM's resistance is linear in x and its rate does not depend on x, so
Δx is proportional to the count while x stays in range; G = 1/R is not, so ΔG is not.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from memspice.circuits.line_schedule import Phase, Schedule
from memspice.engine.runner import resolve_backend
from memspice.errors import ParameterError
from memspice.engine.options import RunOptions
from memspice.flows.array_pulses import ArrayBench, ScheduleRun, run_schedule
from memspice.files import (
    write_csv_atomic,
    write_json_atomic,
    write_text_atomic,
)
from memspice.experiments.write_scheme import WRITE_PARAMS
from memspice.validation import finite_number

#: A cell counts a coincident pulse while |v| > COUNT_LEVEL·V_W (half way between V_W/2 and V_W).
COUNT_LEVEL = 0.75
#: A pulse (coincident or not) is a run of time points with |v| > PULSE_LEVEL·V_W; low, so
#: that the feet of a coincident pulse's edges belong to it (lines rest at 0 V between slots).
PULSE_LEVEL = 0.05
#: Most write slots one update may have (x_max·d_max over both signs): each slot is a phase.
MAX_SLOTS = 4096


def _integers(values: object, what: str, *, signed: bool) -> np.ndarray:
    allowed = "integers" if signed else "integers >= 0"
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise ParameterError(f"{what}={values!r} is not allowed; give a non-empty sequence of {allowed}")
    items = list(np.asarray(values, dtype=object).ravel()) if isinstance(values, np.ndarray) else list(values)
    if not items or (isinstance(values, np.ndarray) and values.ndim != 1):
        raise ParameterError(f"{what}={values!r} is not allowed; give a non-empty 1-D sequence of {allowed}")
    out = []
    for k, item in enumerate(items):
        ok = not isinstance(item, (bool, np.bool_)) and isinstance(item, (int, float, np.integer, np.floating)) \
            and math.isfinite(float(item)) and float(item) == round(float(item))
        if not ok:
            raise ParameterError(f"{what}[{k}]={item!r} is not allowed; every entry must be one of the {allowed} "
                                 f"(a pulse count)")
        if not signed and item < 0:
            raise ParameterError(f"{what}[{k}]={item!r} is not allowed; the row inputs are pulse counts >= 0 "
                                 f"(put the sign in delta)")
        out.append(round(float(item)))
    array = np.array(out, dtype=int)
    array.setflags(write=False)
    return array


def _vteam_thresholds(model: str, params: Mapping[str, Any]) -> tuple[float, float] | None:
    """``(v_off, v_on)`` of a voltage-threshold model (VTEAM), None for models without them."""
    if model != "vteam":
        return None
    return float(params["v_off"]), float(params["v_on"])


@dataclass(frozen=True)
class CoincidenceConfig:
    """One outer-product update ΔW ∝ x δᵀ (validated before any simulator starts).

    Attributes
    ----------
    x: ``(rows,)`` row inputs, integers >= 0: word line i carries pulses in x_i·d_max slots.
    delta: ``(cols,)`` column errors, signed integers: bit line j carries pulses in x_max·|δ_j| slots.
    v_write_V: full write amplitude V_W (V); each line swings ±V_W/2. For VTEAM it must satisfy
        V_W/2 < threshold < V_W on both polarities (refused otherwise: half-selected cells would
        switch, or coincident ones would not).
    slot_width_s, rise_s: flat top and edges of every slot's trapezoid (s).
    gap_s: 0 V between phases (s).
    v_read_V, read_width_s: the row reads before and after the update (V, s).
    model, params: catalog memristor and overrides (default VTEAM with :data:`WRITE_PARAMS`).
    state0: initial state of every cell (default mid-range, so both directions have room).
    r_wire_ohm: every word/bit segment (Ω).
    engine, timeout_s: simulator and run limit.
    """

    x: Sequence[int]
    delta: Sequence[int]
    v_write_V: float = 2.0
    slot_width_s: float = 0.5e-9
    rise_s: float = 0.2e-9
    gap_s: float = 0.5e-9
    v_read_V: float = 0.2
    read_width_s: float = 2e-9
    model: str = "vteam"
    params: Mapping[str, Any] | None = None
    state0: float = 0.5
    r_wire_ohm: float = 0.0
    engine: str = "shared"
    timeout_s: float = 600.0
    bench: ArrayBench = field(init=False, repr=False)

    def __post_init__(self) -> None:
        x = _integers(self.x, "x", signed=False)
        delta = _integers(self.delta, "delta", signed=True)
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "delta", delta)
        if not np.any(np.outer(x, delta)):
            raise ParameterError(f"x={x.tolist()} and delta={delta.tolist()} have no non-zero product; "
                                 f"there is nothing to write (give at least one x_i > 0 and one δ_j != 0)")
        slots = self.slot_counts
        if sum(slots) > MAX_SLOTS:
            raise ParameterError(f"x and delta need {sum(slots)} write slots (max(x)·max(δ⁺) + max(x)·max(δ⁻)); "
                                 f"at most {MAX_SLOTS} are allowed: scale the inputs down")
        v_w = finite_number(self.v_write_V, "v_write_V", low=0, unit=" V")
        for name in ("slot_width_s", "rise_s", "gap_s", "read_width_s"):
            finite_number(getattr(self, name), name, low=0, unit=" s")
        v_read = finite_number(self.v_read_V, "v_read_V", unit=" V")
        if v_read == 0:
            raise ParameterError("v_read_V=0 is not allowed; use a non-zero read voltage below the threshold")
        finite_number(self.state0, "state0")
        params = dict(WRITE_PARAMS) if self.params is None and self.model == "vteam" else dict(self.params or {})
        bench = ArrayBench(x.size, delta.size, self.model, params, self.r_wire_ohm)
        object.__setattr__(self, "bench", bench)
        object.__setattr__(self, "params", bench.params)
        resolve_backend(self.engine, allow_auto=True)
        bench.cells(self.initial_states())  # range-checks state0 against the model
        thresholds = _vteam_thresholds(self.model, bench.params)
        if thresholds is not None:
            low = min(thresholds[0], -thresholds[1])
            high = max(thresholds[0], -thresholds[1])
            if v_w / 2 >= low:
                raise ParameterError(f"v_write_V={v_w:g} V is not allowed: half-selected cells would see "
                                     f"{v_w / 2:g} V >= the {low:g} V threshold and switch; use V_W < {2 * low:g} V")
            if v_w <= high:
                raise ParameterError(f"v_write_V={v_w:g} V is not allowed: coincident cells would see {v_w:g} V, not "
                                     f"above the {high:g} V threshold; use V_W in ({high:g}, {2 * low:g}) V")
            if abs(v_read) >= low:
                raise ParameterError(f"v_read_V={v_read:g} V would switch cells (threshold {low:g} V); use |V| < {low:g} V")
            predicted = self.predicted_dx_per_pulse()
            assert predicted is not None
            reach = max(predicted[0] * int(np.max(np.outer(x, np.clip(delta, 0, None)))),
                        predicted[1] * int(np.max(np.outer(x, np.clip(-delta, 0, None)))))
            if reach > min(self.state0, 1 - self.state0):
                warnings.warn(f"the largest product moves x by about {reach:.3g} from state0={self.state0:g}: cells "
                              f"reach the end of the state range and Δx stops following the product; shorten "
                              f"slot_width_s, lower v_write_V or scale x and delta down", stacklevel=3)

    @property
    def shape(self) -> tuple[int, int]:
        return int(np.size(self.x)), int(np.size(self.delta))

    @property
    def expected(self) -> np.ndarray:
        """``(rows, cols)`` signed product table x_i·δ_j: the coincidences each cell should see."""
        return np.outer(self.x, self.delta)

    @property
    def slot_counts(self) -> tuple[int, int]:
        """Write slots of the positive and the negative set: max(x)·max(δ⁺), max(x)·max(δ⁻)."""
        x_max = int(np.max(self.x))
        delta = np.asarray(self.delta)
        return x_max * int(max(delta.max(), 0)), x_max * int(max(-delta.min(), 0))

    def initial_states(self) -> np.ndarray:
        return np.full(self.shape, float(self.state0))

    def predicted_dx_per_pulse(self) -> tuple[float, float] | None:
        """VTEAM only: |Δx| of one coincident trapezoid on the ideal cell, positive and negative
        polarity, by integrating dx/dt = (k/d)·(|V|/|v_th| − 1)^α over the pulse (None for other models)."""
        thresholds = _vteam_thresholds(self.model, self.params)  # type: ignore[arg-type]
        if thresholds is None:
            return None
        p = self.params
        assert p is not None
        rise, width, v_w = float(self.rise_s), float(self.slot_width_s), float(self.v_write_V)
        u = np.linspace(0.0, 1.0, 20001)
        out = []
        for v_th, k, alpha in ((p["v_off"], p["k_off"], p["alpha_off"]), (p["v_on"], p["k_on"], p["alpha_on"])):
            over = np.clip(v_w / abs(float(v_th)) - 1, 0, None)
            edge = np.clip(u * v_w / abs(float(v_th)) - 1, 0, None) ** float(alpha)
            edge_integral = float(np.sum(0.5 * (edge[1:] + edge[:-1]) * np.diff(u))) * rise
            out.append(abs(float(k)) / float(p["d"]) * (over ** float(alpha) * width + 2 * edge_integral))
        return out[0], out[1]

    def slot_phases(self) -> list[Phase]:
        """The write slots, positive set first: slot (a, b) drives word line i at ±V_W/2 if
        a < x_i and bit line j at ∓V_W/2 if b < |δ_j| (δ_j of that set's sign)."""
        x, delta = np.asarray(self.x), np.asarray(self.delta)
        half = float(self.v_write_V) / 2
        phases: list[Phase] = []
        for sign, name in ((1, "+"), (-1, "−")):
            counts = np.clip(sign * delta, 0, None)
            for a in range(int(x.max()) if counts.any() else 0):
                for b in range(int(counts.max())):
                    word = np.where(a < x, sign * half, 0.0)
                    bit = np.where(b < counts, -sign * half, 0.0)
                    phases.append(Phase(word, bit, self.slot_width_s, self.rise_s, f"slot {name} {a},{b}"))
        return phases

    def read_phases(self) -> list[Phase]:
        rows, cols = self.shape
        return [Phase.read(rows, cols, r, v_read_V=self.v_read_V, width_s=self.read_width_s, rise_s=self.rise_s)
                for r in range(rows)]

    def schedule(self) -> Schedule:
        """Read every row, the write slots, read every row again: one transient."""
        phases = self.read_phases() + self.slot_phases() + self.read_phases()
        return Schedule(tuple(phases), gap_s=self.gap_s, delay_s=self.gap_s, tail_s=self.gap_s)


@dataclass(frozen=True)
class PulseMeasurement:
    """What the cell voltages showed (all ``(rows, cols)``).

    positive, negative: pulses above +level and below −level (rising crossings of the boolean).
    max_non_coincident_V: largest |v| outside the coincident pulses (half-selected: ≈ V_W/2).
    min_coincident_peak_V: smallest peak |v| of the coincident pulses (NaN where there were none).
    level_V: the counting level.
    """

    positive: np.ndarray
    negative: np.ndarray
    max_non_coincident_V: np.ndarray
    min_coincident_peak_V: np.ndarray
    level_V: float

    @property
    def signed(self) -> np.ndarray:
        return self.positive - self.negative


def measure_pulses(cell_voltages_V: np.ndarray, v_write_V: float) -> PulseMeasurement:
    """Count coincident pulses in ``(time points, rows, cols)`` cell voltages (V).

    A pulse is a run of points with |v| > :data:`PULSE_LEVEL`·V_W; it is coincident when its
    |v| passes :data:`COUNT_LEVEL`·V_W, positive or negative by the sign there. Lines return
    to 0 V between slots, so every slot is its own run."""
    v = np.asarray(cell_voltages_V, dtype=float)
    if v.ndim != 3 or v.shape[0] < 2:
        raise ParameterError(f"cell_voltages_V has shape {v.shape}; expected (time points >= 2, rows, cols)")
    level = COUNT_LEVEL * v_write_V
    shape = v.shape[1:]
    positive, negative = np.zeros(shape, dtype=int), np.zeros(shape, dtype=int)
    quiet, peak_min = np.zeros(shape), np.full(shape, np.nan)
    for r, c in np.ndindex(*shape):
        trace = v[:, r, c]
        for above, out in ((trace > level, positive), (trace < -level, negative)):
            out[r, c] = int(above[0]) + int(np.count_nonzero(above[1:] & ~above[:-1]))
        magnitude = np.abs(trace)
        active = magnitude > PULSE_LEVEL * v_write_V
        starts = np.flatnonzero(active & ~np.concatenate([[False], active[:-1]]))
        ends = np.flatnonzero(active & ~np.concatenate([active[1:], [False]])) + 1
        peaks = np.array([magnitude[s:e].max() for s, e in zip(starts, ends)])
        coincident = np.zeros(trace.size, dtype=bool)
        for s, e, peak in zip(starts, ends, peaks):
            if peak > level:
                coincident[s:e] = True
        quiet[r, c] = float(magnitude[~coincident].max()) if (~coincident).any() else 0.0
        if peaks.size and (peaks > level).any():
            peak_min[r, c] = float(peaks[peaks > level].min())
    return PulseMeasurement(positive, negative, quiet, peak_min, level)


def fit_scale(values: np.ndarray, expected: np.ndarray) -> tuple[float, float]:
    """Least-squares ``s`` in values ≈ s·expected and the relative residual
    ‖values − s·expected‖ / ‖values‖ (NaN if values are all 0)."""
    values, expected = np.asarray(values, dtype=float).ravel(), np.asarray(expected, dtype=float).ravel()
    scale = float(values @ expected / (expected @ expected))
    norm = float(np.linalg.norm(values))
    residual = float(np.linalg.norm(values - scale * expected) / norm) if norm > 0 else math.nan
    return scale, residual


@dataclass(frozen=True, eq=False)
class CoincidenceResult:
    """One simulated update: measured pulses, states and simulator reads before and after."""

    config: CoincidenceConfig
    run: ScheduleRun
    pulses: PulseMeasurement
    g_before_S: np.ndarray
    g_after_S: np.ndarray
    energy_J: float
    wall_time_s: float

    @property
    def expected(self) -> np.ndarray:
        return self.config.expected

    @property
    def measured(self) -> np.ndarray:
        """``(rows, cols)`` signed coincident-pulse counts seen in the waveforms."""
        return self.pulses.signed

    @property
    def d_state(self) -> np.ndarray:
        return self.run.states_after - self.run.states_before

    @property
    def d_G_S(self) -> np.ndarray:
        return self.g_after_S - self.g_before_S

    def fits(self) -> dict[str, dict[str, float]]:
        """Scale and relative residual of Δx and ΔG fitted to the expected product table."""
        out = {}
        for name, values in (("d_state", self.d_state), ("d_G_S", self.d_G_S)):
            scale, residual = fit_scale(values, self.expected)
            out[name] = {"scale_per_pulse": scale, "relative_residual": residual}
        return out

    def summary(self) -> dict[str, Any]:
        config = self.config
        expected = self.expected
        zero = expected == 0
        half = self.pulses.max_non_coincident_V
        model_g = config.bench.read_conductance(self.run.states_after, config.v_read_V)
        predicted = config.predicted_dx_per_pulse()
        slots = config.slot_counts
        peak = self.pulses.min_coincident_peak_V
        return {
            "rows": config.shape[0], "cols": config.shape[1], "x": np.asarray(config.x).tolist(),
            "delta": np.asarray(config.delta).tolist(), "model": config.model, "params": dict(config.params or {}),
            "v_write_V": config.v_write_V, "slot_width_s": config.slot_width_s, "rise_s": config.rise_s,
            "gap_s": config.gap_s, "v_read_V": config.v_read_V, "state0": config.state0,
            "r_wire_ohm": config.r_wire_ohm, "engine": self.run.waveforms.backend,
            "slots_positive": slots[0], "slots_negative": slots[1],
            "count_level_V": self.pulses.level_V,
            "expected_pulses": expected.tolist(), "measured_pulses": self.measured.tolist(),
            "counts_match": bool(np.array_equal(self.measured, expected)),
            "cells_with_both_signs": int(np.count_nonzero((self.pulses.positive > 0) & (self.pulses.negative > 0))),
            "max_non_coincident_abs_V": float(half.max()),
            "max_non_coincident_over_half_VW": float(half.max() / (config.v_write_V / 2)),
            "min_coincident_peak_V": None if np.all(np.isnan(peak)) else float(np.nanmin(peak)),
            "fits": self.fits(),
            "predicted_d_state_per_pulse": None if predicted is None else
            {"positive": predicted[0], "negative": -predicted[1]},
            "max_abs_d_state_zero_product": float(np.abs(self.d_state[zero]).max()) if zero.any() else None,
            "max_abs_d_G_zero_product_S": float(np.abs(self.d_G_S[zero]).max()) if zero.any() else None,
            "sign_agreement": bool(np.all(np.sign(self.d_state[~zero]) == np.sign(expected[~zero]))),
            "cells_at_state_bound": int(np.count_nonzero((self.run.states_after <= 1e-6)
                                                         | (self.run.states_after >= 1 - 1e-6))),
            "read_vs_model_max_rel_error": float(np.max(np.abs(self.g_after_S - model_g) / np.abs(model_g))),
            "energy_J": self.energy_J, "device_time_s": self.run.schedule.stop_s,
            "time_points": int(self.run.time_s.size), "wall_time_s": self.wall_time_s,
            "simulate_wall_time_s": self.run.wall_time_s,
        }

    def cells(self) -> pd.DataFrame:
        rows, cols = self.config.shape
        r, c = np.indices((rows, cols))
        x, delta = np.asarray(self.config.x), np.asarray(self.config.delta)
        return pd.DataFrame({
            "row": r.ravel(), "col": c.ravel(), "x": x[r.ravel()], "delta": delta[c.ravel()],
            "expected_pulses": self.expected.ravel(), "measured_pulses": self.measured.ravel(),
            "positive_pulses": self.pulses.positive.ravel(), "negative_pulses": self.pulses.negative.ravel(),
            "max_non_coincident_abs_V": self.pulses.max_non_coincident_V.ravel(),
            "state_before": self.run.states_before.ravel(), "state_after": self.run.states_after.ravel(),
            "d_state": self.d_state.ravel(), "G_before_S": self.g_before_S.ravel(),
            "G_after_S": self.g_after_S.ravel(), "d_G_S": self.d_G_S.ravel(),
        })


def run_coincidence(config: CoincidenceConfig) -> CoincidenceResult:
    """Simulate the update as one transient and measure it (see the module docstring)."""
    started = time.perf_counter()
    rows = config.shape[0]
    schedule = config.schedule()
    run = run_schedule(config.bench, config.initial_states(), schedule, name="coincidence",
                       options=RunOptions(engine=config.engine, timeout_s=config.timeout_s),
                       title=(f"memspice coincidence write: {rows}x{config.shape[1]} {config.model}, "
                              f"V_W {config.v_write_V:g} V, {len(schedule.phases) - 2 * rows} slots"))
    pulses = measure_pulses(run.cell_voltages_V(), config.v_write_V)
    last = len(schedule.phases) - rows
    g_before = np.array([run.read_row_conductance_S(r) for r in range(rows)])
    g_after = np.array([run.read_row_conductance_S(last + r) for r in range(rows)])
    return CoincidenceResult(config=config, run=run, pulses=pulses, g_before_S=g_before, g_after_S=g_after,
                             energy_J=run.energy_J(), wall_time_s=time.perf_counter() - started)


def write_coincidence_report(result: CoincidenceResult, out_dir: Path) -> dict[str, Path]:
    """``pulse_counts.csv`` (measured signed counts, rows × cols), ``cells.csv`` (one line per
    cell), the netlist, ``coincidence.png`` and, last, ``summary.json``."""
    from memspice.analysis.coincidence_plots import plot_coincidence

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").unlink(missing_ok=True)
    counts = pd.DataFrame(result.measured, columns=[f"col{j}" for j in range(result.config.shape[1])])
    counts.insert(0, "row", np.arange(result.config.shape[0]))
    written = {
        "pulse_counts.csv": write_csv_atomic(out_dir / "pulse_counts.csv", counts),
        "cells.csv": write_csv_atomic(out_dir / "cells.csv", result.cells()),
    }
    suffix = result.run.netlist_suffix
    written[f"coincidence{suffix}"] = write_text_atomic(out_dir / f"coincidence{suffix}", result.run.netlist_text)
    written["coincidence.png"] = plot_coincidence(result, out_dir / "coincidence.png")
    written["summary.json"] = write_json_atomic(out_dir / "summary.json", result.summary())
    return written
