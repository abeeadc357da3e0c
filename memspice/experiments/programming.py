"""Program a target conductance matrix into an array: write-verify vs write-without-verify.

Both methods run on the same :class:`~memspice.flows.array_pulses.ArrayBench`, start
from the same device states, and every pulse goes through the array with the V/2 scheme, so
half-selected cells see half the pulse (below threshold for the default device).

**Write-verify** (DOMAIN.md §4: pulse, read, compare, repeat up to N times, one cell at a
time): for each cell in row-major order, Python compares the last read-back with the target;
if it is outside ``tolerance_S`` it picks the pulse polarity from the sign of the error and
the pulse width from the error divided by the cell's measured gain (S per second of pulse,
a secant estimate updated after every pulse, starting from the calibration), and ngspice
runs that pulse followed by a read of the cell's row as one short transient from the saved
states. A cell stops when it is inside the tolerance or after ``max_pulses`` pulses.

**Write-without-verify** (the Manhattan rule in hardware): from the same initial read, each
cell gets ``n = round(|G_target − G_0| / ΔG_nominal)`` identical pulses, ``ΔG_nominal``
being the calibrated mean step (range / pulses to cross it). Cells are updated in parallel
along a column (or a row): every round is two steps, one for the cells that must go up and
one for those that must go down. No read-back: the whole program is one transient, and its
error is what the device's nonlinearity makes of the nominal step.

**Calibration** (a 1 × 1 array of the same device): one pulse of each polarity from the
middle state gives the polarity that raises G; a train of open-loop pulses from OFF and one
from ON give the number of pulses that cross the range in each direction.

Times are seconds, conductances siemens, voltages volts.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from memspice.circuits.line_schedule import Phase, Schedule
from memspice.circuits.write_schemes import manhattan_phases, scheme_phase
from memspice.engine.runner import resolve_backend
from memspice.errors import ParameterError
from memspice.engine.options import RunOptions
from memspice.flows.array_pulses import ArrayBench, ScheduleRun, run_schedule
from memspice.files import write_csv_atomic, write_json_atomic, write_text_atomic
from memspice.experiments.write_scheme import PATTERNS, WRITE_PARAMS, state_pattern
from memspice.validation import finite_number, positive_int

METHODS: tuple[str, ...] = ("write-verify", "write-without-verify")
#: Pulses per direction in the calibration trains (enough to cross the range of the default device).
CALIBRATION_PULSES = 48


def _schedule(config: "ProgramConfig", bench: ArrayBench, states: np.ndarray, schedule: Schedule, **kw: Any) -> ScheduleRun:
    return run_schedule(bench, states, schedule, options=RunOptions(engine=config.engine, timeout_s=config.timeout_s), **kw)


def device_range_S(model: str, params: Mapping[str, Any], *, v_read_V: float, state_on: float = 0.0,
                   state_off: float = 1.0) -> tuple[float, float]:
    """``(lowest, highest)`` read conductance (S) of the device between its ON and OFF states,
    from the model equations."""
    bench = ArrayBench(1, 2, model, params)
    ends = bench.read_conductance(np.array([[state_on, state_off]]), v_read_V)[0]
    return float(ends.min()), float(ends.max())


@dataclass(frozen=True)
class ProgramConfig:
    """Target matrix, device, pulses and limits of a programming run (validated on creation).

    Attributes
    ----------
    target_S: ``(rows, cols)`` target conductances (S), inside the device's read range.
    model, params: catalog memristor and overrides (default VTEAM with :data:`WRITE_PARAMS`).
    r_wire_ohm: every word/bit segment (Ω).
    pattern, seed, state_on, state_off: initial states (as ``memspice write-scheme``).
    v_read_V: read voltage (V), below the switching threshold.
    v_program_V: pulse amplitude of both methods (V > 0; the sign is chosen per pulse).
    tolerance_S: a cell is programmed when |G − G_target| ≤ tolerance_S (default 2 % of the range).
    max_pulses: N, the most write-verify pulses per cell (open-loop counts come from the calibration).
    width_min_s, width_max_s: the write-verify pulse widths Python may choose.
    open_loop_width_s: the fixed pulse width of write-without-verify.
    parallel: ``column`` or ``row``: the lines write-without-verify updates in parallel.
    rise_s, read_width_s, gap_s: edges, read flat top and the 0 V gap between phases.
    engine, timeout_s: simulator and per-run limit.
    """

    target_S: np.ndarray
    model: str = "vteam"
    params: Mapping[str, Any] | None = None
    r_wire_ohm: float = 0.0
    pattern: str = "all-off"
    seed: int = 0
    state_on: float = 0.0
    state_off: float = 1.0
    v_read_V: float = 0.2
    v_program_V: float = 1.5
    tolerance_S: float | None = None
    max_pulses: int = 20
    width_min_s: float = 0.1e-9
    width_max_s: float = 100e-9
    open_loop_width_s: float = 10e-9
    parallel: str = "column"
    rise_s: float = 1e-9
    read_width_s: float = 10e-9
    gap_s: float = 2e-9
    engine: str = "shared"
    timeout_s: float = 600.0
    bench: ArrayBench = field(init=False, repr=False)
    g_range_S: tuple[float, float] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        target = np.asarray(self.target_S, dtype=float) if not isinstance(self.target_S, str) else np.array([])
        if target.ndim != 2 or target.size == 0 or not np.all(np.isfinite(target)):
            raise ParameterError(f"target_S must be a non-empty (rows, cols) matrix of finite conductances in S, "
                                 f"got {self.target_S!r}")
        object.__setattr__(self, "target_S", target)
        params = dict(WRITE_PARAMS) if self.params is None and self.model == "vteam" else dict(self.params or {})
        bench = ArrayBench(target.shape[0], target.shape[1], self.model, params, self.r_wire_ohm)
        object.__setattr__(self, "bench", bench)
        object.__setattr__(self, "params", bench.params)
        if self.pattern not in PATTERNS:
            raise ParameterError(f"pattern={self.pattern!r} is not allowed; use one of {', '.join(PATTERNS)}")
        finite_number(self.v_read_V, "v_read_V", low=0, unit=" V")
        finite_number(self.v_program_V, "v_program_V", low=0, unit=" V")
        for name in ("width_min_s", "width_max_s", "open_loop_width_s", "rise_s", "read_width_s", "gap_s"):
            finite_number(getattr(self, name), name, low=0, unit=" s")
        if self.width_min_s >= self.width_max_s:
            raise ParameterError(f"width_min_s={self.width_min_s!r} must be below width_max_s={self.width_max_s!r}")
        positive_int(self.max_pulses, "max_pulses")
        if self.parallel not in ("column", "row"):
            raise ParameterError(f"parallel={self.parallel!r} is not allowed; use 'column' or 'row'")
        resolve_backend(self.engine, allow_auto=True)
        low, high = device_range_S(self.model, bench.params, v_read_V=self.v_read_V, state_on=self.state_on,
                                   state_off=self.state_off)
        object.__setattr__(self, "g_range_S", (low, high))
        if self.tolerance_S is None:
            object.__setattr__(self, "tolerance_S", 0.02 * (high - low))
        finite_number(self.tolerance_S, "tolerance_S", low=0, unit=" S")
        outside = (target < low) | (target > high)
        if outside.any():
            r, c = (int(k) for k in np.argwhere(outside)[0])
            raise ParameterError(f"target_S[{r}, {c}]={target[r, c]!r} S is outside the device's read range "
                                 f"[{low:.6g}, {high:.6g}] S at {self.v_read_V:g} V")
        self.initial_states()  # range-checks the pattern states

    @property
    def shape(self) -> tuple[int, int]:
        return self.target_S.shape  # type: ignore[return-value]

    def initial_states(self) -> np.ndarray:
        states = state_pattern(*self.shape, pattern=self.pattern, state_on=self.state_on, state_off=self.state_off,
                               seed=self.seed)
        self.bench.cells(states)
        return states

    def write_phase(self, targets: list[tuple[int, int]], amplitude_V: float, width_s: float, label: str,
                    shape: tuple[int, int] | None = None) -> Phase:
        return scheme_phase("v2", *(shape or self.shape), targets, amplitude_V, width_s=width_s, rise_s=self.rise_s, label=label)

    def read_phase(self, row: int, shape: tuple[int, int] | None = None) -> Phase:
        rows, cols = shape or self.shape
        return Phase.read(rows, cols, row, v_read_V=self.v_read_V, width_s=self.read_width_s, rise_s=self.rise_s)

    def schedule(self, phases: list[Phase]) -> Schedule:
        return Schedule(tuple(phases), gap_s=self.gap_s, delay_s=self.gap_s, tail_s=self.gap_s)


@dataclass(frozen=True)
class Calibration:
    """What the 1 × 1 calibration measured: ``up_sign`` (+1 if a positive pulse raises G) and
    the read-back after each of :data:`CALIBRATION_PULSES` open-loop pulses (``open_loop_width_s``)
    from the low end upward (``curve_up_S``) and from the high end downward (``curve_down_S``),
    element 0 being the read before the first pulse."""

    up_sign: float
    curve_up_S: np.ndarray
    curve_down_S: np.ndarray
    g_range_S: tuple[float, float]
    open_loop_width_s: float

    def crossed(self, direction: int) -> np.ndarray:
        """Per calibration read: has the train in ``direction`` (+1 up, −1 down) crossed 95 % of the range?"""
        low, high = self.g_range_S
        span = high - low
        if direction > 0:
            return self.curve_up_S >= high - 0.05 * span
        return self.curve_down_S <= low + 0.05 * span

    def pulses_to_cross(self, direction: int) -> int:
        """Open-loop pulses that take a cell across 95 % of the range in ``direction`` (+1 up, −1 down)."""
        crossed = self.crossed(direction)
        return int(np.argmax(crossed)) if crossed.any() else crossed.size - 1

    def pulse_count(self, start_S: np.ndarray, target_S: np.ndarray) -> np.ndarray:
        """Signed open-loop pulses (+ up, − down) from ``start_S`` to ``target_S``, read off the
        calibration curves (positions interpolated on the pulse axis, the difference rounded
        to whole pulses)."""
        start_S, target_S = np.asarray(start_S, dtype=float), np.asarray(target_S, dtype=float)
        index_up = np.arange(self.curve_up_S.size, dtype=float)
        index_down = np.arange(self.curve_down_S.size, dtype=float)
        # np.interp needs increasing abscissae: the up curve rises, the down curve falls.
        up_curve = np.maximum.accumulate(self.curve_up_S)
        down_curve = np.maximum.accumulate(self.curve_down_S[::-1])
        up = np.interp(target_S, up_curve, index_up) - np.interp(start_S, up_curve, index_up)
        down = np.interp(target_S, down_curve, index_down[::-1]) - np.interp(start_S, down_curve, index_down[::-1])
        return np.rint(np.where(target_S >= start_S, up, -down)).astype(int)

    def gain_ohm_per_s(self, direction: int) -> float:
        """Mean |d(1/G)/d(width)| of an open-loop pulse crossing the range in ``direction`` (Ω/s)."""
        low, high = self.g_range_S
        return (1 / low - 1 / high) / (self.pulses_to_cross(direction) * self.open_loop_width_s)


def calibrate(config: ProgramConfig) -> Calibration:
    """Polarity and open-loop response of the device, on a 1 × 1 array (three short transients)."""
    from memspice.spicelib import get_model
    from memspice.spicelib.conductance import state_for_conductance

    single = ArrayBench(1, 1, config.model, config.params, 0.0)
    low, high = config.g_range_S
    middle = state_for_conductance(get_model(config.model), config.params, np.array([[0.5 * (low + high)]]),
                                   v_read_V=config.v_read_V)
    v, width = config.v_program_V, config.open_loop_width_s
    probe = _schedule(config, single, middle, config.schedule([
        config.write_phase([(0, 0)], +v, width, "probe +", (1, 1)), config.read_phase(0, (1, 1)),
        config.write_phase([(0, 0)], -v, width, "probe -", (1, 1)), config.read_phase(0, (1, 1)),
    ]), name="calibration_probe")
    after_plus, after_minus = probe.read_row_conductance_S(1)[0], probe.read_row_conductance_S(3)[0]
    if after_plus == after_minus:
        raise ParameterError(f"v_program_V={v:g} V with open_loop_width_s={width:g} s does not move "
                             f"{config.model}; raise the amplitude above its threshold or lengthen the pulse")
    up_sign = 1.0 if after_plus > after_minus else -1.0

    def train(start_state: float, sign: float) -> np.ndarray:
        phases = [config.read_phase(0, (1, 1))]
        for k in range(CALIBRATION_PULSES):
            phases += [config.write_phase([(0, 0)], sign * v, width, f"pulse {k + 1}", (1, 1)),
                       config.read_phase(0, (1, 1))]
        run = _schedule(config, single, np.array([[start_state]]), config.schedule(phases), name="calibration_train")
        return np.array([run.read_row_conductance_S(2 * k)[0] for k in range(CALIBRATION_PULSES + 1)])

    g_on, g_off = single.read_conductance(np.array([[config.state_on, config.state_off]]), config.v_read_V)[0]
    state_low, state_high = (config.state_off, config.state_on) if g_on >= g_off else (config.state_on, config.state_off)
    calibration = Calibration(up_sign, train(state_low, up_sign), train(state_high, -up_sign), (low, high), width)
    for direction, name in ((1, "up"), (-1, "down")):
        if not calibration.crossed(direction)[-1]:
            raise ParameterError(f"{CALIBRATION_PULSES} pulses of {v:g} V, {width:g} s do not take {config.model} "
                                 f"across its range ({name}); lengthen open_loop_width_s or raise v_program_V")
    return calibration


@dataclass(frozen=True)
class MethodResult:
    """One programming method: final conductances, pulses per cell and what it cost."""

    method: str
    final_S: np.ndarray
    pulses: np.ndarray
    energy_J: float
    device_time_s: float
    wall_time_s: float
    transients: int
    write_steps: int

    def summary(self, target_S: np.ndarray, tolerance_S: float) -> dict[str, Any]:
        error = self.final_S - target_S
        return {
            "method": self.method, "pulses_total": int(self.pulses.sum()), "pulses_max_per_cell": int(self.pulses.max()),
            "write_steps": self.write_steps, "transients": self.transients,
            "max_abs_error_S": float(np.abs(error).max()), "rms_error_S": float(np.sqrt(np.mean(error ** 2))),
            "cells_within_tolerance": int(np.count_nonzero(np.abs(error) <= tolerance_S)),
            "cells": int(error.size), "energy_J": self.energy_J, "device_time_s": self.device_time_s,
            "wall_time_s": self.wall_time_s,
        }


@dataclass(frozen=True)
class ProgramResult:
    config: ProgramConfig
    calibration: Calibration
    initial_S: np.ndarray
    verify: MethodResult
    open_loop: MethodResult
    history: pd.DataFrame
    netlists: dict[str, str]  # file name (suffix of the engine that ran) -> netlist text

    def table(self) -> pd.DataFrame:
        """One row per method: pulses, error, energy, time."""
        return pd.DataFrame([m.summary(self.config.target_S, self.config.tolerance_S)  # type: ignore[arg-type]
                             for m in (self.verify, self.open_loop)])

    def summary(self) -> dict[str, Any]:
        config = self.config
        return {
            "rows": config.shape[0], "cols": config.shape[1], "model": config.model, "params": dict(config.params),
            "r_wire_ohm": config.r_wire_ohm, "pattern": config.pattern, "v_read_V": config.v_read_V,
            "v_program_V": config.v_program_V, "tolerance_S": config.tolerance_S, "max_pulses": config.max_pulses,
            "g_range_S": list(config.g_range_S), "parallel": config.parallel,
            "calibration": {"up_sign": self.calibration.up_sign,
                            "pulses_to_cross_up": self.calibration.pulses_to_cross(+1),
                            "pulses_to_cross_down": self.calibration.pulses_to_cross(-1),
                            "curve_up_S": self.calibration.curve_up_S.tolist(),
                            "curve_down_S": self.calibration.curve_down_S.tolist(),
                            "open_loop_width_s": self.calibration.open_loop_width_s},
            "all_within_tolerance": {m["method"]: m["cells_within_tolerance"] == m["cells"]
                                     for m in self.table().to_dict("records")},
            "methods": self.table().to_dict("records"),
        }


def _read_all(config: ProgramConfig, states: np.ndarray, name: str) -> tuple[np.ndarray, ScheduleRun]:
    rows = config.shape[0]
    run = _schedule(config, config.bench, states, config.schedule([config.read_phase(r) for r in range(rows)]), name=name)
    return np.array([run.read_row_conductance_S(r) for r in range(rows)]), run


def write_verify(config: ProgramConfig, calibration: Calibration, states0: np.ndarray, initial_S: np.ndarray,
                 *, progress: Callable[[str], None] | None = None
                 ) -> tuple[MethodResult, pd.DataFrame, dict[str, str]]:
    """Cell by cell: pulse, read, compare, repeat (see the module docstring)."""
    started = time.perf_counter()
    states = states0.copy()
    known = initial_S.copy()
    pulses = np.zeros(config.shape, dtype=int)
    energy = device_time = 0.0
    transients = 0
    first_run: ScheduleRun | None = None
    records: list[dict[str, Any]] = []
    target = config.target_S
    for r, c in np.ndindex(*config.shape):
        gains = {+1: calibration.gain_ohm_per_s(+1), -1: calibration.gain_ohm_per_s(-1)}
        g = known[r, c]
        records.append({"row": r, "col": c, "pulse": 0, "amplitude_V": 0.0, "width_s": 0.0, "g_S": g,
                        "error_S": g - target[r, c]})
        while abs(g - target[r, c]) > config.tolerance_S and pulses[r, c] < config.max_pulses:  # type: ignore[operator]
            direction = 1 if target[r, c] > g else -1
            # The dose is planned in resistance: for drift-type models (VTEAM, HP) R moves
            # linearly with the pulse time at a fixed amplitude, G does not.
            width = float(np.clip(abs(1 / target[r, c] - 1 / g) / gains[direction], config.width_min_s,
                                  config.width_max_s))
            amplitude = direction * calibration.up_sign * config.v_program_V
            run = _schedule(config, config.bench, states, config.schedule([
                config.write_phase([(r, c)], amplitude, width, f"write {r},{c}"), config.read_phase(r)]),
                name="write_verify")
            first_run = first_run or run
            transients += 1
            pulses[r, c] += 1
            energy += run.energy_J()
            device_time += run.schedule.stop_s
            states = run.states_after
            row = run.read_row_conductance_S(1)
            known[r] = row
            change = row[c] - g
            # Secant update of this cell's gain; a step the wrong way or none keeps the old one.
            if change * direction > 0:
                gains[direction] = abs(1 / row[c] - 1 / g) / width
            g = row[c]
            records.append({"row": r, "col": c, "pulse": int(pulses[r, c]), "amplitude_V": amplitude,
                            "width_s": width, "g_S": g, "error_S": g - target[r, c]})
        if progress:
            progress(f"write-verify cell {r},{c}: {pulses[r, c]} pulses, error {(g - target[r, c]) * 1e6:+.3g} µS")
    final, run = _read_all(config, states, "write_verify_final_read")
    energy += run.energy_J()
    device_time += run.schedule.stop_s
    result = MethodResult("write-verify", final, pulses, energy, device_time, time.perf_counter() - started,
                          transients + 1, int(pulses.sum()))
    # One pulse's netlist for the user to inspect (none when every cell started inside the tolerance).
    netlists = {} if first_run is None else {f"write_verify_pulse{first_run.netlist_suffix}": first_run.netlist_text}
    return result, pd.DataFrame.from_records(records), netlists


def write_without_verify(config: ProgramConfig, calibration: Calibration, states0: np.ndarray,
                         initial_S: np.ndarray) -> tuple[MethodResult, dict[str, str]]:
    """Open-loop pulse counts, applied line-parallel in two steps per round, then one read."""
    started = time.perf_counter()
    signed = calibration.pulse_count(initial_S, config.target_S)
    difference = np.sign(signed)
    counts = np.abs(signed)
    rows, cols = config.shape
    lines = cols if config.parallel == "column" else rows
    v = config.v_program_V
    phases: list[Phase] = []
    for line in range(lines):
        along = counts[:, line] if config.parallel == "column" else counts[line, :]
        sign = difference[:, line] if config.parallel == "column" else difference[line, :]
        for round_ in range(1, int(along.max(initial=0)) + 1):
            phases += manhattan_phases(
                rows, cols, line=line, axis=config.parallel,
                increase=[k for k in range(along.size) if sign[k] > 0 and along[k] >= round_],
                decrease=[k for k in range(along.size) if sign[k] < 0 and along[k] >= round_],
                v_increase_V=calibration.up_sign * v, v_decrease_V=-calibration.up_sign * v,
                width_s=config.open_loop_width_s, rise_s=config.rise_s)
    steps = len(phases)
    phases += [config.read_phase(r) for r in range(rows)]
    run = _schedule(config, config.bench, states0, config.schedule(phases), name="write_without_verify")
    final = np.array([run.read_row_conductance_S(steps + r) for r in range(rows)])
    result = MethodResult("write-without-verify", final, counts, run.energy_J(), run.schedule.stop_s,
                          time.perf_counter() - started, 1, steps)
    return result, {f"write_without_verify{run.netlist_suffix}": run.netlist_text}


def run_program(config: ProgramConfig, *, progress: Callable[[str], None] | None = None) -> ProgramResult:
    """Calibrate, read the initial array, then program it both ways from the same start."""
    calibration = calibrate(config)
    if progress:
        progress(f"calibration: {calibration.pulses_to_cross(+1)} pulses of {config.open_loop_width_s:g} s cross the "
                 f"range upward, {calibration.pulses_to_cross(-1)} downward")
    states0 = config.initial_states()
    initial, _ = _read_all(config, states0, "initial_read")
    verify, history, verify_netlists = write_verify(config, calibration, states0, initial, progress=progress)
    open_loop, open_netlists = write_without_verify(config, calibration, states0, initial)
    if progress:
        progress(f"write-without-verify: {int(open_loop.pulses.sum())} pulses in {open_loop.write_steps} steps")
    return ProgramResult(config, calibration, initial, verify, open_loop, history,
                         {**verify_netlists, **open_netlists})


def write_program_report(result: ProgramResult, out_dir: Path) -> dict[str, Path]:
    """``methods.csv`` (the comparison table), ``cells.csv`` (per cell: target, initial,
    final and pulses of each method), ``write_verify_history.csv`` (every pulse), the
    netlists of one write-verify pulse and of the open-loop program, ``program.png`` and,
    last, ``summary.json``."""
    from memspice.analysis.program_plots import plot_program

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").unlink(missing_ok=True)
    config = result.config
    rows, cols = config.shape
    r, c = np.indices((rows, cols))
    cells = pd.DataFrame({
        "row": r.ravel(), "col": c.ravel(), "target_S": config.target_S.ravel(), "initial_S": result.initial_S.ravel(),
        "verify_final_S": result.verify.final_S.ravel(), "verify_pulses": result.verify.pulses.ravel(),
        "open_loop_final_S": result.open_loop.final_S.ravel(), "open_loop_pulses": result.open_loop.pulses.ravel(),
    })
    written = {
        "methods.csv": write_csv_atomic(out_dir / "methods.csv", result.table()),
        "cells.csv": write_csv_atomic(out_dir / "cells.csv", cells),
        "write_verify_history.csv": write_csv_atomic(out_dir / "write_verify_history.csv", result.history),
    }
    for name, text in result.netlists.items():
        written[name] = write_text_atomic(out_dir / name, text)
    written["program.png"] = plot_program(
        result.history, config.target_S,
        {"write-verify": result.verify.final_S, "write-without-verify": result.open_loop.final_S},
        tolerance_S=config.tolerance_S, curve_up_S=result.calibration.curve_up_S,  # type: ignore[arg-type]
        curve_down_S=result.calibration.curve_down_S, path=out_dir / "program.png",
        title=(f"Programming a {rows}×{cols} {config.model} array: write-verify (≤ {config.max_pulses} pulses/cell) "
               f"vs write-without-verify ({config.parallel}-parallel), ±{config.v_program_V:g} V pulses, V/2 scheme"),
    )
    written["summary.json"] = write_json_atomic(out_dir / "summary.json", result.summary())
    return written
