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

import functools
import time
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from memspice.circuits.line_schedule import Phase, Schedule
from memspice.circuits.patterns import PATTERNS, pattern_values
from memspice.circuits.write_schemes import manhattan_phases, scheme_phase
from memspice.config import ConfigBase, ConfigError, setting
from memspice.engine.options import RunOptions
from memspice.errors import ParameterError
from memspice.flows.array_pulses import (
    ArrayBench,
    ScheduleRun,
    device_params,
    pin_engine,
    run_schedule,
    run_schedules,
)
from memspice.engine.budget import RunCost, array_cost
from memspice.flows.verify import check_rows_kept
from memspice.spicelib.variation import PopulationConfig
from memspice.studies.base import ProgressCallback, Study, register_study
from memspice.studies.report import netlist_files, write_report

if TYPE_CHECKING:  # pandas is imported where a table is built, not with the study
    import pandas as pd

METHODS: tuple[str, ...] = ("write-verify", "write-without-verify")
#: Pulses per direction in the calibration trains (enough to cross the range of the default device).
CALIBRATION_PULSES = 48
#: Most word lines and bit lines.
MAX_LINES = 16
#: Rows and columns of the random targets when none are given.
DEFAULT_SHAPE = (4, 4)
#: Most (cells × worst-case write-verify transients): every pulse of every cell simulates the
#: whole array, so the worst case is cells² × max_pulses device-transients.
MAX_VERIFY_WORK = 2_000_000
#: Most (time points × cells) of any one transient (calibration train, write-verify pulse,
#: the whole open-loop program at its longest).
MAX_POINT_CELLS = 20_000_000


def device_range_S(model: str, params: Mapping[str, Any], *, v_read_V: float, state_on: float = 0.0,
                   state_off: float = 1.0) -> tuple[float, float]:
    """``(lowest, highest)`` read conductance (S) of the device between its ON and OFF states,
    from the model equations."""
    bench = ArrayBench(1, 2, model, params)
    ends = bench.read_conductance(np.array([[state_on, state_off]]), v_read_V)[0]
    return float(ends.min()), float(ends.max())


def _load_matrix(path: str) -> np.ndarray:
    """A matrix from a ``.npy`` file or a comma-separated text file (``.csv``, ``.txt``)."""
    if Path(path).suffix.lower() in (".csv", ".txt"):
        return np.loadtxt(path, delimiter=",", ndmin=2)
    return np.load(path, allow_pickle=False)


def _time_points(lengths_s: float, step_s: float) -> int:
    return int(lengths_s / step_s) + 1


@dataclass(frozen=True)
class ProgramConfig(ConfigBase):
    """Target matrix, device, pulses and limits of a programming run (validated on creation).

    ``target_S`` is the ``(rows, cols)`` matrix of target conductances (S, inside the device's
    read range between ``state_on`` and ``state_off``), given as nested lists or an array, or
    as the path of a ``.npy`` / comma-separated ``.csv`` file, read on construction (then
    ``to_dict`` and ``--print-config`` hold the numbers, not the path). Without it the targets
    are random between 15 % and 85 % of the device range, ``rows × cols``, from ``seed``
    (:attr:`target_matrix_S`). ``params`` are overrides of the device preset (VTEAM: the
    write device of :data:`~memspice.spicelib.presets.WRITE_DEVICE_PARAMS`); after
    construction they hold every parameter, resolved; ``tolerance_S``, ``rows`` and ``cols``
    hold the values used.
    """

    target_S: Any | None = setting(
        None, unit="S", cli="targets",
        doc="target conductances in S, rows x cols: a .npy or comma-separated .csv file (in TOML: an array of "
            "arrays); default: random targets between 15 % and 85 % of the device range, --rows x --cols, --seed",
    )
    rows: int | None = setting(None, low=1, high=MAX_LINES, doc="rows of the random targets (default 4; with "
                                                                "--targets: their rows)")
    cols: int | None = setting(None, low=1, high=MAX_LINES, doc="columns of the random targets (default 4; with "
                                                                "--targets: their columns)")
    seed: int = setting(0, low=0, high=2**32 - 1, doc="seed of the random targets and of the random pattern")
    model: str = setting("vteam", doc="catalog memristor (vteam starts from the write-device parameters)")
    params: Mapping[str, Any] = setting(default_factory=dict, cli="set",
                                        doc="model parameter overrides, SI units, e.g. k_off=0.1")
    r_wire_ohm: float = setting(0.0, unit="Ω", low=0.0, high=1e4, cli="r-wire",
                                doc="resistance of every word- and bit-line segment")
    pattern: str = setting("random", choices=PATTERNS, doc="initial states: random ON/OFF (seeded), worst (all "
                                                           "ON), checkerboard, all-off")
    state_on: float = setting(0.0, doc="model state of an ON cell (VTEAM: x = 0, lowest resistance)")
    state_off: float = setting(1.0, doc="model state of an OFF cell")
    v_read_V: float = setting(0.2, unit="V", low=0.0, low_open=True, high=5.0, cli="v-read",
                              doc="read voltage, below the switching threshold")
    v_program_V: float = setting(1.5, unit="V", low=0.0, low_open=True, high=20.0, cli="v-program",
                                 doc="pulse amplitude V_P of both methods (the sign is chosen per pulse)")
    tolerance_S: float | None = setting(
        None, unit="S", low=0.0, low_open=True, high=1.0, cli="g-tolerance",
        doc="|G - G_target| that counts as programmed (default 2 % of the device range)",
    )
    max_pulses: int = setting(20, low=1, high=1000, doc="N: most write-verify pulses per cell")
    width_min_s: float = setting(0.1e-9, unit="s", low=1e-12, high=1e-6, cli="width-min",
                                 doc="shortest write-verify pulse Python may choose")
    width_max_s: float = setting(100e-9, unit="s", low=1e-12, high=1e-6, cli="width-max",
                                 doc="longest write-verify pulse Python may choose")
    open_loop_width_s: float = setting(10e-9, unit="s", low=1e-12, high=1e-6, cli="open-loop-width",
                                       doc="pulse width of write-without-verify (and of the calibration)")
    parallel: str = setting("column", choices=("column", "row"),
                            doc="lines write-without-verify updates in parallel")
    rise_s: float = setting(1e-9, unit="s", low=1e-12, high=1e-6, cli="rise", doc="edges of every pulse and read")
    read_width_s: float = setting(10e-9, unit="s", low=1e-12, high=1e-6, cli="read-width",
                                  doc="flat top of every read")
    gap_s: float = setting(2e-9, unit="s", low=1e-12, high=1e-6, cli="gap", doc="0 V between phases")
    population: PopulationConfig = setting(
        default_factory=PopulationConfig,
        doc="device population: model parameters drawn per cell (--vary) and per pulse (--vary-cycle) from --seed",
    )

    def check(self) -> None:
        from memspice.spicelib import get_model

        object.__setattr__(self, "params", types.MappingProxyType(device_params(self.model, self.params)))
        model = get_model(self.model)
        low, high = model.parameter(model.state_initial).bounds
        for name in ("state_on", "state_off"):
            value = getattr(self, name)
            if not low <= value <= high:
                raise ConfigError(name, value, f"[{low:g}, {high:g}] (the range of {self.model}'s {model.state_initial})")
        if self.width_min_s >= self.width_max_s:
            raise ConfigError("width_min_s", self.width_min_s, f"below width_max_s={self.width_max_s:g} s")
        g_low, g_high = device_range_S(self.model, self.params, v_read_V=self.v_read_V, state_on=self.state_on,
                                       state_off=self.state_off)
        object.__setattr__(self, "_g_range_S", (g_low, g_high))
        if self.target_S is None:
            shape = (self.rows or DEFAULT_SHAPE[0], self.cols or DEFAULT_SHAPE[1])
            targets = g_low + (g_high - g_low) * np.random.default_rng(self.seed).uniform(0.15, 0.85, shape)
        else:
            targets = self._given_targets(g_low, g_high)
            object.__setattr__(self, "target_S", tuple(tuple(float(v) for v in row) for row in targets))
        targets.setflags(write=False)
        object.__setattr__(self, "_targets", targets)
        object.__setattr__(self, "rows", targets.shape[0])
        object.__setattr__(self, "cols", targets.shape[1])
        if self.tolerance_S is None:
            object.__setattr__(self, "tolerance_S", 0.02 * (g_high - g_low))
        self.population.refuse_conductance_variation(f"{self.model} memristors")
        self.cell_params  # draws (and so checks) the device-to-device parameters
        self.bench_for_cycle(0)  # draws (and so checks) the cycle-to-cycle parameters
        self._check_cost()

    def _given_targets(self, g_low: float, g_high: float) -> np.ndarray:
        value = self.target_S
        allowed = "a (rows, cols) matrix of conductances in S, or a .npy / comma-separated .csv file of one"
        if isinstance(value, (str, Path)):
            try:
                value = _load_matrix(str(value))
            except (OSError, ValueError) as error:
                raise ConfigError("target_S", str(self.target_S), allowed, reason=f"cannot be read ({error})") from None
        try:
            targets = np.array(value, dtype=float)
        except (TypeError, ValueError):
            raise ConfigError("target_S", value, allowed) from None
        if targets.ndim != 2 or targets.size == 0 or not np.all(np.isfinite(targets)):
            raise ConfigError("target_S", value, allowed, reason=f"(shape {targets.shape}) is not allowed")
        for name, size, given in (("rows", targets.shape[0], self.rows), ("cols", targets.shape[1], self.cols)):
            if size > MAX_LINES:
                raise ConfigError("target_S", None, f"at most {MAX_LINES} {name}",
                                  reason=f"has {size} {name} (shape {targets.shape})")
            if given is not None and given != size:
                raise ConfigError(name, given, f"{size} or no value",
                                  reason=f"does not match the targets ({size} {name})")
        outside = (targets < g_low) | (targets > g_high)
        if outside.any():
            r, c = (int(k) for k in np.argwhere(outside)[0])
            raise ConfigError(f"target_S[{r}][{c}]", float(targets[r, c]),
                              f"[{g_low:.6g}, {g_high:.6g}] S at {self.v_read_V:g} V",
                              reason=f"(cell {r},{c}) is outside the device's read range")
        return targets

    def transients(self) -> list[tuple[int, int, str, str]]:
        """The longest transient of each kind the run simulates: ``(time points, cells, what,
        the field that sets its length)`` for the calibration train (a 1 × 1 bench), the whole
        write-without-verify program and one write-verify pulse with its read-back."""
        rows, cols = self.shape
        write = 2 * self.rise_s + self.open_loop_width_s
        read = 2 * self.rise_s + self.read_width_s
        step = min(self.rise_s, min(self.open_loop_width_s, self.read_width_s) / 20)
        train = _time_points((CALIBRATION_PULSES + 1) * (read + self.gap_s) + CALIBRATION_PULSES * (write + self.gap_s),
                             step)
        lines = cols if self.parallel == "column" else rows
        steps = lines * 2 * CALIBRATION_PULSES
        open_loop = _time_points(steps * (write + self.gap_s) + rows * (read + self.gap_s), step)
        verify_step = min(self.rise_s, min(self.width_min_s, self.read_width_s) / 20)
        verify = _time_points(2 * self.rise_s + self.width_max_s + read + 3 * self.gap_s, verify_step)
        return [(train, 1, "the calibration train", "open_loop_width_s"),
                (open_loop, rows * cols, "the longest write-without-verify program", "open_loop_width_s"),
                (verify, rows * cols, "the longest write-verify pulse", "width_max_s")]

    def _check_cost(self) -> None:
        rows, cols = self.shape
        cells = rows * cols
        work = cells * cells * self.max_pulses
        if work > MAX_VERIFY_WORK:
            raise ConfigError("max_pulses", self.max_pulses,
                              f"at most {MAX_VERIFY_WORK // (cells * cells)} for a {rows} × {cols} array",
                              reason=f"lets write-verify run up to {cells * self.max_pulses} transients of "
                                     f"{cells} cells ({work:.3g} > {MAX_VERIFY_WORK:.3g} cell-transients)")
        for points, bench_cells, what, name in self.transients():
            if points * bench_cells > MAX_POINT_CELLS:
                raise ConfigError(name, getattr(self, name), f"a width with at most {MAX_POINT_CELLS:.3g} time points "
                                                             f"× cells per transient (or a longer rise_s)",
                                  reason=f"gives {what} about {points * bench_cells:.3g} time points × cells")

    @property
    def shape(self) -> tuple[int, int]:
        return self._targets.shape  # type: ignore[attr-defined, no-any-return]

    @property
    def target_matrix_S(self) -> np.ndarray:
        """``(rows, cols)`` target conductances (S): ``target_S``, or the random targets."""
        return self._targets  # type: ignore[attr-defined, no-any-return]

    @property
    def g_range_S(self) -> tuple[float, float]:
        """``(lowest, highest)`` read conductance of the device between ``state_on`` and ``state_off`` (S)."""
        return self._g_range_S  # type: ignore[attr-defined, no-any-return]

    @functools.cached_property
    def cell_params(self) -> dict[str, np.ndarray]:
        """The model parameters the population draws per cell (name -> ``(rows, cols)``)."""
        from memspice.spicelib import get_model

        return self.population.draw_parameters(get_model(self.model), self.params, self.shape, self.seed)

    @property
    def bench(self) -> ArrayBench:
        """The array with its device-to-device parameters (the same for every pulse)."""
        return ArrayBench(*self.shape, self.model, self.params, self.r_wire_ohm, self.cell_params)

    def bench_for_cycle(self, cycle: int) -> ArrayBench:
        """The array as pulse (or write-verify round) ``cycle`` finds it: :attr:`bench` with the
        cycle-to-cycle parameters redrawn for that cycle (the same bench without any)."""
        if not self.population.cycle_parameters:
            return self.bench
        from memspice.spicelib import get_model

        drawn = self.population.draw_cycle(get_model(self.model), self.cell_params, self.params, self.shape,
                                           self.seed, cycle)
        return ArrayBench(*self.shape, self.model, self.params, self.r_wire_ohm, drawn)

    def initial_states(self) -> np.ndarray:
        states = pattern_values(*self.shape, self.pattern, on=self.state_on, off=self.state_off, seed=self.seed)
        self.bench.cells(states)
        return states

    def write_phase(self, targets: list[tuple[int, int]], amplitude_V: float, width_s: float, label: str,
                    shape: tuple[int, int] | None = None) -> Phase:
        return scheme_phase("v2", *(shape or self.shape), targets, amplitude_V, width_s=width_s, rise_s=self.rise_s,
                            label=label)

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


def calibrate(config: ProgramConfig, *, options: RunOptions | None = None) -> Calibration:
    """Polarity and open-loop response of the device, on a 1 × 1 array (three short transients)."""
    from memspice.spicelib import get_model
    from memspice.spicelib.conductance import state_for_conductance

    single = ArrayBench(1, 1, config.model, config.params, 0.0)
    low, high = config.g_range_S
    middle = state_for_conductance(get_model(config.model), config.params, np.array([[0.5 * (low + high)]]),
                                   v_read_V=config.v_read_V)
    v, width = config.v_program_V, config.open_loop_width_s
    probe = run_schedule(single, middle, config.schedule([
        config.write_phase([(0, 0)], +v, width, "probe +", (1, 1)), config.read_phase(0, (1, 1)),
        config.write_phase([(0, 0)], -v, width, "probe -", (1, 1)), config.read_phase(0, (1, 1)),
    ]), options=options, name="calibration_probe")
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
        run = run_schedule(single, np.array([[start_state]]), config.schedule(phases), options=options,
                           name="calibration_train")
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
        """The method's row of ``methods.csv``: pulses, errors, cells within tolerance, energy, times."""
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
    """Both methods from the same start; ``engine`` and ``engine_version`` name the simulator
    that ran the array (every run of the loop uses it)."""

    config: ProgramConfig
    calibration: Calibration
    initial_S: np.ndarray
    verify: MethodResult
    open_loop: MethodResult
    history: pd.DataFrame
    netlists: dict[str, str]  # file name (suffix of the engine that ran) -> netlist text
    engine: str
    engine_version: str
    netlist_files: Mapping[str, bytes] = field(default_factory=dict)  # what saved .sim files load

    def table(self) -> pd.DataFrame:
        """One row per method: pulses, error, energy, time."""
        import pandas as pd

        return pd.DataFrame([m.summary(self.config.target_matrix_S, self.config.tolerance_S)  # type: ignore[arg-type]
                             for m in (self.verify, self.open_loop)])

    def cells(self) -> pd.DataFrame:
        """One row per cell: target, initial, and each method's final conductance and pulses."""
        import pandas as pd

        config = self.config
        r, c = np.indices(config.shape)
        return pd.DataFrame({
            "row": r.ravel(), "col": c.ravel(), "target_S": config.target_matrix_S.ravel(),
            "initial_S": self.initial_S.ravel(),
            "verify_final_S": self.verify.final_S.ravel(), "verify_pulses": self.verify.pulses.ravel(),
            "open_loop_final_S": self.open_loop.final_S.ravel(), "open_loop_pulses": self.open_loop.pulses.ravel(),
            **{name: values.ravel() for name, values in config.cell_params.items()},
        })

    def tables(self) -> dict[str, pd.DataFrame]:
        """``methods`` (:meth:`table`), ``cells`` and ``write_verify_history`` (every pulse)."""
        return {"methods": self.table(), "cells": self.cells(), "write_verify_history": self.history}

    def summary(self) -> dict[str, Any]:
        """The JSON-ready summary: config, calibration, per-method numbers (wall times apart)."""
        config = self.config
        methods = self.table().to_dict("records")
        return {
            "rows": config.shape[0], "cols": config.shape[1], "model": config.model, "params": dict(config.params),
            "r_wire_ohm": config.r_wire_ohm, "pattern": config.pattern, "v_read_V": config.v_read_V,
            "v_program_V": config.v_program_V, "tolerance_S": config.tolerance_S, "max_pulses": config.max_pulses,
            "g_range_S": list(config.g_range_S), "parallel": config.parallel,
            "seed": config.seed, "population": config.population.to_dict(),
            "write_verify_pulses_per_cell": _distribution(self.verify.pulses),
            "final_error_S": {"write-verify": _distribution(self.verify.final_S - config.target_matrix_S),
                              "write-without-verify": _distribution(self.open_loop.final_S - config.target_matrix_S)},
            "calibration": {"up_sign": self.calibration.up_sign,
                            "pulses_to_cross_up": self.calibration.pulses_to_cross(+1),
                            "pulses_to_cross_down": self.calibration.pulses_to_cross(-1),
                            "curve_up_S": self.calibration.curve_up_S.tolist(),
                            "curve_down_S": self.calibration.curve_down_S.tolist(),
                            "open_loop_width_s": self.calibration.open_loop_width_s},
            "all_within_tolerance": {m["method"]: m["cells_within_tolerance"] == m["cells"] for m in methods},
            "methods": [{k: v for k, v in m.items() if k != "wall_time_s"} for m in methods],
            "engine": {"backend": self.engine, "version": self.engine_version},
            "wall_time_s": {m["method"]: m["wall_time_s"] for m in methods},
        }


def _distribution(values: np.ndarray) -> dict[str, float]:
    """Mean, standard deviation, min, quartiles and max of ``values`` (a per-cell quantity)."""
    v = np.asarray(values, dtype=float).ravel()
    q = np.quantile(v, [0.0, 0.25, 0.5, 0.75, 1.0])
    return {"mean": float(v.mean()), "std": float(v.std()), "min": float(q[0]), "q25": float(q[1]),
            "median": float(q[2]), "q75": float(q[3]), "max": float(q[4])}


def _read_all(config: ProgramConfig, states: np.ndarray, name: str,
              options: RunOptions | None) -> tuple[np.ndarray, ScheduleRun]:
    rows = config.shape[0]
    run = run_schedule(config.bench, states, config.schedule([config.read_phase(r) for r in range(rows)]),
                       options=options, name=name)
    return np.array([run.read_row_conductance_S(r) for r in range(rows)]), run


#: Largest |state change| (as a fraction of the model's state range) a V_P/2 pulse of
#: ``width_max_s`` may cause for write-verify to run the rows side by side.
STILL_FRACTION = 1e-12


def half_selected_cells_stay(config: ProgramConfig, calibration: Calibration, *,
                             options: RunOptions | None = None) -> bool:
    """Whether a half-selected cell keeps its state to :data:`STILL_FRACTION` of the state range:
    a 1 × 1 transient from the middle state with a ±V_P/2 pulse of ``width_max_s`` each way."""
    from memspice.spicelib import get_model

    model = get_model(config.model)
    low, high = model.parameter(model.state_initial).bounds
    single = ArrayBench(1, 1, config.model, config.params, 0.0)
    start = np.array([[0.5 * (config.state_on + config.state_off)]])
    half = 0.5 * config.v_program_V
    probe = run_schedule(single, start, config.schedule([
        config.write_phase([(0, 0)], +half, config.width_max_s, "half +", (1, 1)),
        config.write_phase([(0, 0)], -half, config.width_max_s, "half -", (1, 1))]),
        options=options, name="half_select_probe")
    moved = float(np.max(np.abs(probe.state_traces() - start[0, 0])))
    return moved <= STILL_FRACTION * (high - low)


@dataclass
class _CellCursor:
    """Where write-verify stands in one row: the cell it works on, its last read-back, gains."""

    row: int
    col: int
    g_S: float
    gains: dict[int, float]
    started_s: float


def write_verify(config: ProgramConfig, calibration: Calibration, states0: np.ndarray, initial_S: np.ndarray,
                 *, options: RunOptions | None = None, on_cell: Any = None, rows_together: bool | None = None,
                 ) -> tuple[MethodResult, pd.DataFrame, dict[str, str]]:
    """Cell by cell: pulse, read, compare, repeat (see the module docstring). ``on_cell(label,
    wall_time_s)`` is called after each cell.

    Each row is worked on in row-major order, one cell at a time, and each pulse reads back only
    its own row, so with ideal wires (``r_wire_ohm = 0``: every cell sees exactly its lines'
    levels) and half-selected cells that do not move (:func:`half_selected_cells_stay`) the rows
    do not interact. Then (``rows_together=True``, or None with the VACASK engine) the next pulse
    of every unfinished row is simulated in one batch (:func:`~memspice.flows.array_pulses.run_schedules`:
    one VACASK process), each pulse its own transient from the saved states as before: the same
    pulses, read-backs and final conductances, one simulator start per round instead of per
    pulse. After each round the other rows' cells are checked to have kept their states. The
    energy is that of the interleaved order: a pulse's half-selected cells in other rows draw
    current by the states they have at the start of its round, not after their whole row.
    """
    import pandas as pd

    started = time.perf_counter()
    rows, cols = config.shape
    if rows_together is None:  # only VACASK runs a batch in one process; ngspice would gain nothing
        rows_together = ((options or RunOptions()).engine == "vacask" and rows > 1 and config.r_wire_ohm == 0
                         and half_selected_cells_stay(config, calibration, options=options))
    states = states0.copy()
    known = initial_S.copy()
    pulses = np.zeros(config.shape, dtype=int)
    energy = device_time = 0.0
    transients = 0
    first_run: ScheduleRun | None = None
    records: dict[tuple[int, int], list[dict[str, Any]]] = {}
    target = config.target_matrix_S

    def open_cell(r: int, c: int) -> _CellCursor:
        g = float(known[r, c])
        records[r, c] = [{"row": r, "col": c, "pulse": 0, "amplitude_V": 0.0, "width_s": 0.0, "g_S": g,
                          "error_S": g - target[r, c]}]
        return _CellCursor(r, c, g, {+1: calibration.gain_ohm_per_s(+1), -1: calibration.gain_ohm_per_s(-1)},
                           time.perf_counter())

    def pending(cursor: _CellCursor) -> bool:
        r, c = cursor.row, cursor.col
        return abs(cursor.g_S - target[r, c]) > config.tolerance_S and pulses[r, c] < config.max_pulses  # type: ignore[operator]

    def close_cell(cursor: _CellCursor) -> None:
        r, c = cursor.row, cursor.col
        if on_cell is not None:
            on_cell(f"write-verify cell {r},{c}: {pulses[r, c]} pulses, error {(cursor.g_S - target[r, c]) * 1e6:+.3g} µS",
                    time.perf_counter() - cursor.started_s)

    # The cells each lane works through in order: one lane per row when the rows run side by
    # side, else one lane of the whole array in row-major order (one pulse per simulator run).
    lanes = ([[(r, c) for c in range(cols)] for r in range(rows)] if rows_together
             else [[(r, c) for r, c in np.ndindex(rows, cols)]])
    positions = [0] * len(lanes)

    def next_pending(lane: int, cursor: _CellCursor) -> _CellCursor | None:
        """The lane's cursor moved on to its next cell that needs a pulse, None when the lane is done."""
        while not pending(cursor):
            close_cell(cursor)
            positions[lane] += 1
            if positions[lane] == len(lanes[lane]):
                return None
            cursor = open_cell(*lanes[lane][positions[lane]])
        return cursor

    cursors: dict[int, _CellCursor | None] = {lane: next_pending(lane, open_cell(*cells[0]))
                                              for lane, cells in enumerate(lanes)}
    while any(cursor is not None for cursor in cursors.values()):
        active = [cursor for cursor in cursors.values() if cursor is not None]
        plans = []
        for cursor in active:
            r, c, g = cursor.row, cursor.col, cursor.g_S
            direction = 1 if target[r, c] > g else -1
            # The dose is planned in resistance: for drift-type models (VTEAM, HP) R moves
            # linearly with the pulse time at a fixed amplitude, G does not.
            width = float(np.clip(abs(1 / target[r, c] - 1 / g) / cursor.gains[direction], config.width_min_s,
                                  config.width_max_s))
            amplitude = direction * calibration.up_sign * config.v_program_V
            plans.append((cursor, direction, width, amplitude, config.schedule([
                config.write_phase([(r, c)], amplitude, width, f"write {r},{c}"), config.read_phase(r)])))
        # One cycle-to-cycle draw per round: each cell gets at most one pulse a round.
        runs = run_schedules(config.bench_for_cycle(1 + transients), [(states, plan[-1]) for plan in plans],
                             options=options, name="write_verify")
        round_states = states.copy()
        for (cursor, direction, width, amplitude, _), run in zip(plans, runs):
            r, c, g = cursor.row, cursor.col, cursor.g_S
            first_run = first_run or run
            transients += 1
            pulses[r, c] += 1
            energy += run.energy_J()
            device_time += run.schedule.stop_s
            if len(runs) == 1:
                round_states = run.states_after
            else:
                _check_other_rows_kept(run, r, config)
                round_states[r] = run.states_after[r]
            row = run.read_row_conductance_S(1)
            known[r] = row
            change = row[c] - g
            # Secant update of this cell's gain; a step the wrong way or none keeps the old one.
            if change * direction > 0:
                cursor.gains[direction] = abs(1 / row[c] - 1 / g) / width
            cursor.g_S = float(row[c])
            records[r, c].append({"row": r, "col": c, "pulse": int(pulses[r, c]), "amplitude_V": amplitude,
                                  "width_s": width, "g_S": cursor.g_S, "error_S": cursor.g_S - target[r, c]})
        states = round_states
        for lane, cursor in cursors.items():
            if cursor is not None:
                cursors[lane] = next_pending(lane, cursor)
    final, run = _read_all(config, states, "write_verify_final_read", options)
    if on_cell is not None:
        on_cell("write-verify final read", run.wall_time_s)
    energy += run.energy_J()
    device_time += run.schedule.stop_s
    result = MethodResult("write-verify", final, pulses, energy, device_time, time.perf_counter() - started,
                          transients + 1, int(pulses.sum()))
    # One pulse's netlist for the user to inspect (none when every cell started inside the tolerance).
    netlists = {} if first_run is None else {f"write_verify_pulse{first_run.netlist_suffix}": first_run.netlist_text}
    history = [record for cell in sorted(records) for record in records[cell]]
    return result, pd.DataFrame.from_records(history), netlists


def _check_other_rows_kept(run: ScheduleRun, row: int, config: ProgramConfig) -> None:
    """Raise SimulationError when a pulse on ``row`` moved a cell of another row by more than
    :data:`STILL_FRACTION` of the state range (the rows were run side by side on that promise)."""
    from memspice.spicelib import get_model

    model = get_model(config.model)
    low, high = model.parameter(model.state_initial).bounds
    check_rows_kept(run, row, tolerance=STILL_FRACTION * (high - low),
                    promise="the half-select probe promised it would not")


def write_without_verify(config: ProgramConfig, calibration: Calibration, states0: np.ndarray,
                         initial_S: np.ndarray, *, options: RunOptions | None = None,
                         ) -> tuple[MethodResult, dict[str, str], ScheduleRun]:
    """Open-loop pulse counts, applied line-parallel in two steps per round, then one read."""
    started = time.perf_counter()
    signed = calibration.pulse_count(initial_S, config.target_matrix_S)
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
    # One transient for the whole program: one cycle-to-cycle draw for it.
    run = run_schedule(config.bench_for_cycle(0), states0, config.schedule(phases), options=options,
                       name="write_without_verify")
    final = np.array([run.read_row_conductance_S(steps + r) for r in range(rows)])
    result = MethodResult("write-without-verify", final, counts, run.energy_J(), run.schedule.stop_s,
                          time.perf_counter() - started, 1, steps)
    return result, {f"write_without_verify{run.netlist_suffix}": run.netlist_text}, run


def run_program(config: ProgramConfig, *, options: RunOptions | None = None,
                progress: ProgressCallback | None = None) -> ProgramResult:
    """Read the initial array, calibrate, then program it both ways from the same start.

    ``progress(done, total, label, wall_time_s)`` is called after the initial read, the
    calibration, each write-verify cell, the final read and the open-loop program. With
    ``engine="auto"`` the engine of the initial read (chosen by the array's size) runs every
    later step, the 1 × 1 calibration included."""
    total = config.shape[0] * config.shape[1] + 4
    done = 0

    def step(label: str, wall_time_s: float) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, label, wall_time_s)

    states0 = config.initial_states()
    initial, first = _read_all(config, states0, "initial_read", options)
    step("initial read", first.wall_time_s)
    options = pin_engine(options, first)
    started = time.perf_counter()
    calibration = calibrate(config, options=options)
    step(f"calibration: {calibration.pulses_to_cross(+1)} pulses of {config.open_loop_width_s:g} s cross the range "
         f"upward, {calibration.pulses_to_cross(-1)} downward", time.perf_counter() - started)
    verify, history, verify_netlists = write_verify(config, calibration, states0, initial, options=options,
                                                    on_cell=step)
    open_loop, open_netlists, last = write_without_verify(config, calibration, states0, initial, options=options)
    step(f"write-without-verify: {int(open_loop.pulses.sum())} pulses in {open_loop.write_steps} steps",
         open_loop.wall_time_s)
    return ProgramResult(config, calibration, initial, verify, open_loop, history,
                         {**verify_netlists, **open_netlists}, engine=last.waveforms.backend,
                         engine_version=last.waveforms.engine_version, netlist_files=netlist_files(last.waveforms))


def program_plot_arguments(result: ProgramResult) -> dict[str, Any]:
    """The arguments of :func:`memspice.analysis.program_plots.plot_program` (all but ``path``)."""
    config = result.config
    rows, cols = config.shape
    return {
        "history": result.history, "target_S": config.target_matrix_S,
        "finals_S": {"write-verify": result.verify.final_S, "write-without-verify": result.open_loop.final_S},
        "tolerance_S": config.tolerance_S, "curve_up_S": result.calibration.curve_up_S,
        "curve_down_S": result.calibration.curve_down_S,
        "title": (f"Programming a {rows}×{cols} {config.model} array: write-verify (≤ {config.max_pulses} "
                  f"pulses/cell) vs write-without-verify ({config.parallel}-parallel), ±{config.v_program_V:g} V "
                  f"pulses, V/2 scheme"),
    }


def write_program_report(result: ProgramResult, out_dir: Path) -> dict[str, Path]:
    """``methods.csv`` (the comparison table), ``cells.csv`` (per cell: target, initial,
    final and pulses of each method), ``write_verify_history.csv`` (every pulse), the
    netlists of one write-verify pulse and of the open-loop program, ``program.png`` and,
    last, ``summary.json``."""
    from memspice.analysis.program_plots import plot_program

    return write_report(
        out_dir,
        texts=result.netlists,
        files=result.netlist_files,
        tables={f"{name}.csv": frame for name, frame in result.tables().items()},
        figures={"program.png": lambda path: plot_program(path=path, **program_plot_arguments(result))},
        summary=result.summary(),
    )


_EPILOG = """\
outputs in DIR:
  methods.csv                pulses, error, energy, time per method
  cells.csv                  per cell: target, initial, final G and pulses of each method
  write_verify_history.csv   every write-verify pulse: cell, amplitude, width, G read back
  program.png                convergence, final vs target, calibration curves
  *.cir                      one write-verify pulse and the open-loop program (.sim: VACASK)
  summary.json               calibration, per-method numbers, engine

examples:
  memspice program --rows 4 --cols 4 --seed 3 --max-pulses 8 --out out/program
  memspice program --targets targets.csv --max-pulses 8 --g-tolerance 1u --out out/program
"""


_TITLE = "program a target conductance matrix: write-verify vs write-without-verify"
_DESCRIPTION = (
    "Program a target conductance matrix into a memristor array two ways, from the same initial states, "
    "with V/2-scheme pulses of +-V_P. Write-verify: one cell at a time, pulse, read back, compare, repeat up "
    "to N times; Python picks each pulse's polarity and width from the read-back and the simulator runs the "
    "pulse and the read as one short transient from the saved device states. Write-without-verify: each cell "
    "gets the number of fixed pulses a 1x1 calibration curve predicts, applied column- (or row-) parallel in "
    "two steps per round (cells going up, then cells going down), one transient, no read-back."
)


def summary_lines(result: ProgramResult) -> list[str]:
    config = result.config
    lines = [f"tolerance {config.tolerance_S:.3g} S, at most {config.max_pulses} write-verify pulses per cell"]
    for row in result.table().to_dict("records"):
        lines.append(f"{row['method']}: {row['pulses_total']} pulses (max {row['pulses_max_per_cell']} per cell), "
                     f"max |error| {row['max_abs_error_S']:.3g} S, {row['cells_within_tolerance']}/{row['cells']} "
                     f"cells within tolerance, energy {row['energy_J']:.3g} J, device time "
                     f"{row['device_time_s']:.3g} s, wall {row['wall_time_s']:.2f} s")
    return lines


def cost(config: ProgramConfig) -> RunCost:
    """The largest transient of the run (every pulse simulates the whole array), up to
    ``max_pulses`` per cell plus the calibration and the read-backs."""
    points, _, what, name = max(config.transients(), key=lambda t: t[0] * t[1])
    flag = {"open_loop_width_s": "--open-loop-width", "width_max_s": "--width-max"}[name]
    return array_cost(f"{what} of a {config.rows}x{config.cols} array", config.rows, config.cols, device="memristor",
                      wires=config.r_wire_ohm > 0, time_points=points, points_option=flag,
                      simulations=config.rows * config.cols * config.max_pulses + 2)


STUDY = register_study(Study(
    name="program", Config=ProgramConfig, title=_TITLE, description=_DESCRIPTION, epilog=_EPILOG,
    loop=run_program, cost=cost, report=write_program_report, summary_lines=summary_lines,
))
