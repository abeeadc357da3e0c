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

Default pulses: VTEAM with :data:`~memspice.spicelib.presets.WRITE_DEVICE_PARAMS` moves
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
import functools
import time
import types
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from memspice.analysis.crossbar_readers import bit_voltages, word_voltages
from memspice.circuits.line_schedule import Phase, Schedule
from memspice.config import ConfigBase, ConfigError, setting
from memspice.engine.options import RunOptions
from memspice.errors import ParameterError
from memspice.flows.array_pulses import ArrayBench, ScheduleRun, device_params, run_schedule
from memspice.engine.budget import RunCost, array_cost
from memspice.spicelib.variation import PopulationConfig
from memspice.studies.base import ProgressCallback, Study, register_study
from memspice.studies.report import netlist_files, write_report

if TYPE_CHECKING:  # pandas is imported where a table is built, not with the study
    import pandas as pd

#: A cell counts a coincident pulse while |v| > COUNT_LEVEL·V_W (half way between V_W/2 and V_W).
COUNT_LEVEL = 0.75
#: A pulse (coincident or not) is a run of time points with |v| > PULSE_LEVEL·V_W; low, so
#: that the feet of a coincident pulse's edges belong to it (lines rest at 0 V between slots).
PULSE_LEVEL = 0.05
#: Most write slots one update may have (x_max·d_max over both signs): each slot is a phase.
MAX_SLOTS = 4096
#: Most word lines (entries of x) and bit lines (entries of delta).
MAX_LINES = 64
#: Most (time points × cells) of the one transient: every cell's voltages and state are kept
#: at every point (about 3 numbers per cell and point), so this caps memory near 0.5 GB.
MAX_POINT_CELLS = 20_000_000


def _vteam_thresholds(model: str, params: Mapping[str, Any]) -> tuple[float, float] | None:
    """``(v_off, v_on)`` of a voltage-threshold model (VTEAM), None for models without them."""
    if model != "vteam":
        return None
    return float(params["v_off"]), float(params["v_on"])


@dataclass(frozen=True)
class CoincidenceConfig(ConfigBase):
    """One outer-product update ΔW ∝ x δᵀ (validated before any simulator starts).

    ``x`` (one entry per word line, integers >= 0) and ``delta`` (one per bit line, signed
    integers) are pulse counts: word line i carries pulses in x_i·d_max slots, bit line j in
    x_max·|δ_j| slots. For VTEAM ``v_write_V`` must satisfy V_W/2 < threshold < V_W on both
    polarities (refused otherwise: half-selected cells would switch, or coincident ones would
    not). ``params`` are overrides of the device preset (VTEAM: the write device of
    :data:`~memspice.spicelib.presets.WRITE_DEVICE_PARAMS`); after construction they hold every
    parameter, resolved and range-checked.
    """

    x: tuple[int, ...] = setting(low=0, high=MAX_SLOTS, doc="row inputs, integers >= 0 (one per word line)")
    delta: tuple[int, ...] = setting(
        low=-MAX_SLOTS, high=MAX_SLOTS,
        doc="column errors, signed integers (one per bit line); write --delta=-2,0,3 when the first is negative",
    )
    v_write_V: float = setting(2.0, unit="V", low=0.0, low_open=True, high=20.0, cli="v-write",
                               doc="full write amplitude V_W; each line swings V_W/2")
    slot_width_s: float = setting(0.5e-9, unit="s", low=0.0, low_open=True, high=1e-6, cli="slot-width",
                                  doc="flat top of every write slot")
    rise_s: float = setting(0.2e-9, unit="s", low=1e-12, high=1e-6, cli="rise", doc="edges of every slot and read")
    gap_s: float = setting(0.5e-9, unit="s", low=0.0, low_open=True, high=1e-6, cli="gap",
                           doc="0 V between phases (and before the first, after the last)")
    v_read_V: float = setting(0.2, unit="V", low=-5.0, high=5.0, cli="v-read",
                              doc="row reads before and after the update (non-zero, below the threshold)")
    read_width_s: float = setting(2e-9, unit="s", low=0.0, low_open=True, high=1e-6, cli="read-width",
                                  doc="flat top of every read")
    model: str = setting("vteam", doc="catalog memristor (vteam starts from the write-device parameters)")
    params: Mapping[str, Any] = setting(default_factory=dict, cli="set",
                                        doc="model parameter overrides, SI units, e.g. k_off=0.1")
    state0: float = setting(0.5, doc="initial state of every cell (in the model's state range; mid-range "
                                     "leaves room both ways)")
    r_wire_ohm: float = setting(0.0, unit="Ω", low=0.0, high=1e4, cli="r-wire",
                                doc="resistance of every word- and bit-line segment")
    population: PopulationConfig = setting(
        default_factory=PopulationConfig,
        doc="device population: model parameters drawn per cell from --seed (--vary NAME=KIND:SPREAD)",
    )
    seed: int = setting(0, low=0, high=10**9, doc="seed of the device population")

    def check(self) -> None:
        for name, what in (("x", "row inputs"), ("delta", "column errors")):
            values = getattr(self, name)
            if not 1 <= len(values) <= MAX_LINES:
                raise ConfigError(name, values, f"a non-empty list of at most {MAX_LINES} {what}")
        x, delta = np.array(self.x), np.array(self.delta)
        if not np.any(np.outer(x, delta)):
            raise ConfigError("x", None, "at least one x_i > 0 and one δ_j != 0",
                              reason=f"and delta have no non-zero product (x={list(self.x)}, delta={list(self.delta)}): "
                                     f"there is nothing to write")
        slots = self.slot_counts
        if sum(slots) > MAX_SLOTS:
            raise ConfigError("x", None, f"at most {MAX_SLOTS} write slots: scale the inputs down",
                              reason=f"and delta need {sum(slots)} write slots (max(x)·max(δ⁺) + max(x)·max(δ⁻))")
        if self.v_read_V == 0:
            raise ConfigError("v_read_V", self.v_read_V, "a non-zero read voltage below the threshold")
        params = device_params(self.model, self.params)
        object.__setattr__(self, "params", types.MappingProxyType(params))
        self._check_state0()
        self._check_thresholds()
        self.population.refuse_conductance_variation(f"{self.model} memristors")
        self.population.refuse_cycle_variation("coincidence (one transient)")
        self.cell_params  # draws (and so checks) the varied parameters
        self._check_cost()
        predicted = self.predicted_dx_per_pulse()
        if predicted is not None:
            reach = max(predicted[0] * int(np.max(np.outer(x, np.clip(delta, 0, None)))),
                        predicted[1] * int(np.max(np.outer(x, np.clip(-delta, 0, None)))))
            if reach > min(self.state0, 1 - self.state0):
                warnings.warn(f"the largest product moves x by about {reach:.3g} from state0={self.state0:g}: cells "
                              f"reach the end of the state range and Δx stops following the product; shorten "
                              f"slot_width_s, lower v_write_V or scale x and delta down", stacklevel=4)

    def _check_state0(self) -> None:
        from memspice.spicelib import get_model

        model = get_model(self.model)
        low, high = model.parameter(model.state_initial).bounds
        if not low <= self.state0 <= high:
            raise ConfigError("state0", self.state0, f"[{low:g}, {high:g}] (the range of {self.model}'s "
                                                     f"{model.state_initial})")

    def _check_thresholds(self) -> None:
        thresholds = _vteam_thresholds(self.model, self.params)
        if thresholds is None:
            return
        v_w, v_read = self.v_write_V, self.v_read_V
        low, high = min(thresholds[0], -thresholds[1]), max(thresholds[0], -thresholds[1])
        if v_w / 2 >= low:
            raise ConfigError("v_write_V", v_w, f"V_W < {2 * low:g} V",
                              reason=f"would let half-selected cells see {v_w / 2:g} V >= the {low:g} V threshold "
                                     f"and switch")
        if v_w <= high:
            raise ConfigError("v_write_V", v_w, f"V_W in ({high:g}, {2 * low:g}) V",
                              reason=f"would give coincident cells {v_w:g} V, not above the {high:g} V threshold")
        if abs(v_read) >= low:
            raise ConfigError("v_read_V", v_read, f"|V| < {low:g} V", reason=f"would switch cells (threshold {low:g} V)")

    def _check_cost(self) -> None:
        points = self.estimated_time_points
        cells = self.shape[0] * self.shape[1]
        if points * cells > MAX_POINT_CELLS:
            raise ConfigError("x", None, f"at most {MAX_POINT_CELLS:.3g} (time points × cells): fewer lines or slots, "
                                           f"or a longer rise_s",
                              reason=f"and delta give a {self.shape[0]} × {self.shape[1]} transient of about "
                                     f"{points:.3g} time points ({points * cells:.3g} time points × cells)")

    @property
    def estimated_time_points(self) -> int:
        """Time points of the transient at its maximum time step (a lower bound of what is stored)."""
        reads = 2 * self.shape[0]
        slots = sum(self.slot_counts)
        phases = reads + slots
        stop_s = (reads * (2 * self.rise_s + self.read_width_s) + slots * (2 * self.rise_s + self.slot_width_s)
                  + (phases + 1) * self.gap_s)
        step_s = min(self.rise_s, min(self.slot_width_s, self.read_width_s) / 20)
        return int(stop_s / step_s) + 1

    @property
    def bench(self) -> ArrayBench:
        """The array, with the model parameters the population draws per cell."""
        return ArrayBench(*self.shape, self.model, self.params, self.r_wire_ohm, self.cell_params)

    @functools.cached_property
    def cell_params(self) -> dict[str, np.ndarray]:
        """The model parameters the population draws per cell (name -> ``(rows, cols)``)."""
        from memspice.spicelib import get_model

        return self.population.draw_parameters(get_model(self.model), self.params, self.shape, self.seed)

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
        if _vteam_thresholds(self.model, self.params) is None:
            return None
        p = self.params
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
    points, shape = v.shape[0], v.shape[1:]
    # All cells at once: one row per cell, time along the row (C order keeps each cell's
    # points contiguous, so a pulse is a contiguous run of the flattened array).
    traces = v.reshape(points, -1).T
    counts = []
    for above in (traces > level, traces < -level):
        counts.append((above[:, 0].astype(int) + np.count_nonzero(above[:, 1:] & ~above[:, :-1], axis=1)).reshape(shape))
    positive, negative = counts
    magnitude = np.abs(traces)
    active = magnitude > PULSE_LEVEL * v_write_V
    starts = active.copy()
    starts[:, 1:] &= ~active[:, :-1]
    flat_active, flat_starts, flat_magnitude = active.ravel(), starts.ravel(), magnitude.ravel()
    run_first = np.flatnonzero(flat_starts[flat_active])  # each pulse's first point among the active ones
    peaks = np.maximum.reduceat(flat_magnitude[flat_active], run_first) if run_first.size else np.zeros(0)
    run_cell = np.flatnonzero(flat_starts) // points
    run_of_point = np.cumsum(flat_starts) - 1
    coincident_run = peaks > level
    coincident = np.zeros(flat_active.size, dtype=bool)
    coincident[flat_active] = coincident_run[run_of_point[flat_active]]
    coincident = coincident.reshape(traces.shape)
    quiet = np.max(magnitude, axis=1, where=~coincident, initial=0.0).reshape(shape)
    peak_min = np.full(traces.shape[0], np.inf)
    np.minimum.at(peak_min, run_cell[coincident_run], peaks[coincident_run])
    peak_min = np.where(np.isinf(peak_min), np.nan, peak_min).reshape(shape)
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
            "delta": np.asarray(config.delta).tolist(), "model": config.model, "params": dict(config.params),
            "v_write_V": config.v_write_V, "slot_width_s": config.slot_width_s, "rise_s": config.rise_s,
            "gap_s": config.gap_s, "v_read_V": config.v_read_V, "state0": config.state0,
            "r_wire_ohm": config.r_wire_ohm, "seed": config.seed, "population": config.population.to_dict(),
            "engine": {"backend": self.run.waveforms.backend, "version": self.run.waveforms.engine_version},
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
            "time_points": int(self.run.time_s.size),
            "wall_time_s": {"total": self.wall_time_s, "simulate": self.run.wall_time_s},
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        """``pulse_counts`` (measured signed counts, a ``row`` column then one per bit line) and ``cells``."""
        import pandas as pd

        counts = pd.DataFrame(self.measured, columns=[f"col{j}" for j in range(self.config.shape[1])])
        counts.insert(0, "row", np.arange(self.config.shape[0]))
        return {"pulse_counts": counts, "cells": self.cells()}

    def cells(self) -> pd.DataFrame:
        import pandas as pd

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


def run_coincidence(config: CoincidenceConfig, *, options: RunOptions | None = None,
                    progress: ProgressCallback | None = None) -> CoincidenceResult:
    """Simulate the update as one transient and measure it (see the module docstring)."""
    started = time.perf_counter()
    rows = config.shape[0]
    schedule = config.schedule()
    run = run_schedule(config.bench, config.initial_states(), schedule, options=options, name="coincidence",
                       title=(f"memspice coincidence write: {rows}x{config.shape[1]} {config.model}, "
                              f"V_W {config.v_write_V:g} V, {len(schedule.phases) - 2 * rows} slots"))
    if progress is not None:
        progress(1, 1, f"coincidence write, {len(schedule.phases) - 2 * rows} slots", run.wall_time_s)
    pulses = measure_pulses(run.cell_voltages_V(), config.v_write_V)
    last = len(schedule.phases) - rows
    g_before = np.array([run.read_row_conductance_S(r) for r in range(rows)])
    g_after = np.array([run.read_row_conductance_S(last + r) for r in range(rows)])
    return CoincidenceResult(config=config, run=run, pulses=pulses, g_before_S=g_before, g_after_S=g_after,
                             energy_J=run.energy_J(), wall_time_s=time.perf_counter() - started)


def coincidence_plot_arguments(result: CoincidenceResult) -> dict[str, Any]:
    """The arguments of :func:`memspice.analysis.coincidence_plots.plot_coincidence` (all but
    ``path``) for ``result``: the product tables, the changes and their fits, the word-line,
    bit-line and cell voltages of every cell over time, and where the write slots are."""
    config, run = result.config, result.run
    schedule = run.schedule
    slots = [k for k, phase in enumerate(schedule.phases) if phase.label.startswith("slot")]
    spans = np.array([(float(schedule.starts_s[k]), float(schedule.starts_s[k] + schedule.phases[k].length_s))
                      for k in slots])
    threshold = float(config.params["v_off"]) if config.model == "vteam" else None
    return {
        "x": np.asarray(config.x), "delta": np.asarray(config.delta), "expected": result.expected,
        "measured": result.measured, "d_state": result.d_state, "d_G_S": result.d_G_S, "fits": result.fits(),
        "time_s": run.time_s, "word_V": word_voltages(run.nodes, run.waveforms, point=None),
        "bit_V": bit_voltages(run.nodes, run.waveforms, point=None), "cell_V": run.cell_voltages_V(),
        "slot_spans_s": spans, "margin_s": schedule.gap_s / 2, "level_V": result.pulses.level_V,
        "threshold_V": threshold, "model": config.model, "v_read_V": config.v_read_V,
        "title": (f"Coincidence write (Burr): {config.shape[0]}×{config.shape[1]} {config.model}, "
                  f"lines at ±{config.v_write_V / 2:g} V (V_W = {config.v_write_V:g} V), "
                  f"{config.slot_width_s * 1e9:g} ns slots, {len(slots)} slots in one transient"),
    }


def write_coincidence_report(result: CoincidenceResult, out_dir: Path) -> dict[str, Path]:
    """``pulse_counts.csv`` (measured signed counts, rows × cols), ``cells.csv`` (one line per
    cell), the netlist, ``coincidence.png`` and, last, ``summary.json``."""
    from memspice.analysis.coincidence_plots import plot_coincidence

    return write_report(
        out_dir,
        texts={f"coincidence{result.run.netlist_suffix}": result.run.netlist_text},
        files=netlist_files(result.run.waveforms),
        tables={f"{name}.csv": frame for name, frame in result.tables().items()},
        figures={"coincidence.png": lambda path: plot_coincidence(path=path, **coincidence_plot_arguments(result))},
        summary=result.summary(),
    )


_EPILOG = """\
outputs in DIR:
  pulse_counts.csv   measured signed coincident-pulse counts, one row per word line
  cells.csv          per cell: x, delta, expected and measured pulses, states, G before and after
  coincidence.png    counts, Δx and ΔG vs the product, one cell's line and cell voltages
  coincidence.cir    the netlist that was run (.sim when VACASK ran it)
  summary.json       counts match, largest non-coincident |v|, fits, energy

examples:
  memspice coincidence --x 0,1,2,3,4 --delta 0,1,2,3,4 --out out/coincidence
  memspice coincidence --x 1,2 --delta=-2,0,3 --out out/coincidence_signed
"""


_TITLE = "outer-product (coincidence) write after Burr: pulse counts x_i*delta_j"
_DESCRIPTION = (
    "One outer-product update of a memristor array: row i carries +V_W/2 pulses in x_i*max(delta) time "
    "slots, column j carries -V_W/2 pulses in max(x)*|delta_j| slots (negative delta: a second set of slots "
    "with both polarities reversed), so only coincident pulses put V_W across a cell. The pulses above "
    "0.75 V_W are counted from the simulated cell voltages and compared with the product table; the state "
    "and conductance changes (read by the simulator before and after) are fitted against x*delta."
)


def summary_lines(result: CoincidenceResult) -> list[str]:
    summary = result.summary()
    return [f"measured pulse counts {'==' if summary['counts_match'] else '!='} x*delta; "
            f"largest non-coincident |v| {summary['max_non_coincident_abs_V']:.4g} V "
            f"(V_W/2 = {result.config.v_write_V / 2:g} V); energy {result.energy_J:.3g} J"]


def cost(config: CoincidenceConfig) -> RunCost:
    """One transient: the reads and the write slots of the whole array."""
    rows, cols = config.shape
    return array_cost(f"a {rows}x{cols} coincidence transient", rows, cols, device="memristor",
                      wires=config.r_wire_ohm > 0, time_points=config.estimated_time_points, points_option="--slot-width")


STUDY = register_study(Study(
    name="coincidence", Config=CoincidenceConfig, title=_TITLE, description=_DESCRIPTION, epilog=_EPILOG,
    loop=run_coincidence, cost=cost, report=write_coincidence_report, summary_lines=summary_lines,
))
