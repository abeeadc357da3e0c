"""In-situ training of Prezioso's perceptron on a passive 10 × 6 crossbar (issue 17, part 1).

Prezioso et al. (Nature 521:61, 2015) trained a single-layer perceptron on a transistor-free
metal-oxide crossbar: 10 inputs (3 × 3 pixels and a bias) × 3 outputs, each weight a
differential pair G⁺ − G⁻ (6 columns: G⁺ of the outputs in columns 0–2, G⁻ in 3–5), pixels
as ±V_R read voltages, tanh outputs, batch Manhattan updates as V/2 pulses. Here every epoch is
one transient of the array of thresholded memristors (the catalog's write device by default),
run from the states the last one left (:func:`~memspice.flows.array_pulses.run_schedule`):

1. the Manhattan update the previous epoch decided: for each output j, the cells (i, j) of its
   G⁺ column to raise get one pulse together (−V_W on their word lines... the V/2 scheme's
   levels, `manhattan_phases`), then the cells to lower one pulse of the opposite polarity;
   G⁻ stays fixed (the seed's account of the paper); ``both_devices`` also moves G⁻ the other way;
2. the forward pass: one read phase per pattern (word line i at x_i·V_R, every bit line at its
   0 V sink), the output current I_j = I⁺_j − I⁻_j at the middle of the flat top, f_j = tanh(I_j / I_s).

Python then computes the batch delta rule's signs (:mod:`memspice.analysis.letters`). Training
stops when all 30 patterns are classified or after ``max_epochs``. The same training with
ideal software Manhattan steps from the same initial weights runs beside it.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from memspice.analysis.letters import CLASSES, encode, manhattan_signs, misclassified, patterns, targets
from memspice.circuits.line_schedule import Phase, Schedule
from memspice.circuits.write_schemes import scheme_phase
from memspice.config import ConfigBase, ConfigError, setting
from memspice.engine.budget import RunCost, array_cost
from memspice.engine.options import RunOptions
from memspice.flows.array_pulses import (
    ArrayBench,
    ScheduleRun,
    device_params,
    pin_engine,
    run_schedule,
    run_schedules,
)
from memspice.flows.verify import VerifyResult, verify_cells
from memspice.spicelib.variation import STUCK_CODES, PopulationConfig, stuck_cell_values, threshold_names
from memspice.studies.base import ProgressCallback, Study, register_study
from memspice.studies.report import netlist_files, write_report

if TYPE_CHECKING:
    import pandas as pd

INPUTS, OUTPUTS = 10, len(CLASSES)
ARRAYS = ("0T1R", "1T1R")
METHODS = ("write-without-verify", "write-verify")
#: Columns: G⁺ of each output, then G⁻ of each output.
COLUMNS = 2 * OUTPUTS


@dataclass(frozen=True)
class PerceptronConfig(ConfigBase):
    """The array, the device, the pulses and the training limits (SI units)."""

    model: str = setting("vteam", doc="catalog memristor (vteam starts from the ±1.4 V write device)")
    params: Mapping[str, Any] = setting(default_factory=dict, cli="set", doc="model parameter overrides, e.g. v_off=1.2")
    v_read_V: float = setting(0.2, unit="V", low=0.0, low_open=True, high=5.0, cli="v-read",
                              doc="read voltage V_R: a black pixel at +V_R, a white one at -V_R")
    v_write_V: float | None = setting(
        None, unit="V", low=0.0, low_open=True, high=20.0, cli="v-write",
        doc="write amplitude V_W of a step (default 1.6 V on 0T1R, whose V/2 scheme gives half-selected cells "
            "V_W/2; 2.0 V on 1T1R, whose transistor takes part of it)")
    pulse_width_s: float = setting(5e-9, unit="s", low=1e-12, high=1e-6, cli="pulse-width",
                                   doc="flat top of a Manhattan step")
    read_width_s: float = setting(5e-9, unit="s", low=1e-12, high=1e-6, cli="read-width", doc="flat top of each read")
    rise_s: float = setting(1e-9, unit="s", low=1e-12, high=1e-6, cli="rise", doc="edges of every pulse and read")
    output_scale_A: float = setting(20e-6, unit="A", low=0.0, low_open=True, high=1.0, cli="output-scale",
                                    doc="I_s of the outputs f = tanh(I / I_s)")
    state_minus: float = setting(0.5, doc="model state of every G- cell (fixed unless --both-devices)")
    state_spread: float = setting(0.2, low=0.0, high=1.0, cli="state-spread",
                                  doc="initial G+ states uniform in state_minus ± this (seeded)")
    both_devices: bool = setting(False, doc="move G- the opposite way too (default: only G+ is written)")
    array: str = setting("0T1R", choices=ARRAYS,
                         doc="0T1R: Prezioso's passive crossbar; 1T1R: an access transistor per cell (Yao 2017)")
    method: str = setting("write-without-verify", choices=METHODS,
                          doc="write-without-verify: one Manhattan pulse per weight, a column's cells together; "
                              "write-verify: pulse-read pairs to the new target, one cell at a time")
    gate_on_V: float = setting(3.3, unit="V", low=0.0, low_open=True, high=20.0, cli="gate-on",
                               doc="1T1R gate level of reads and of the pulses that lower G (transistor fully on)")
    gate_set_V: float = setting(3.3, unit="V", low=0.0, low_open=True, high=20.0, cli="gate-set",
                                doc="1T1R gate level of the pulses that raise G, the SET compliance: the memristor "
                                    "then sees at most about V_g - V_to")
    verify_width_s: float = setting(1.25e-9, unit="s", low=1e-12, high=1e-6, cli="verify-width",
                                    doc="flat top of each write-verify pulse (a fraction of a step)")
    verify_tolerance: float = setting(0.25, low=0.0, low_open=True, high=1.0, cli="verify-tolerance",
                                      doc="write-verify stops a cell within this fraction of a step of its target")
    max_verify_pulses: int = setting(8, low=1, high=100, cli="max-verify-pulses",
                                     doc="write-verify gives up on a cell after this many pulses")
    r_wire_ohm: float = setting(0.0, unit="Ω", low=0.0, high=1e4, cli="r-wire", doc="every word- and bit-line segment")
    max_epochs: int = setting(30, low=1, high=500, cli="max-epochs", doc="stop after this many epochs")
    seed: int = setting(0, low=0, high=10**9, doc="seed of the initial weights and the device population")
    population: PopulationConfig = setting(
        default_factory=PopulationConfig, doc="device population: model parameters drawn per cell (--vary)",
    )

    def check(self) -> None:
        import types

        from memspice.spicelib import get_model

        object.__setattr__(self, "params", types.MappingProxyType(device_params(self.model, self.params)))
        model = get_model(self.model)
        low, high = model.parameter(model.state_initial).bounds
        if not low <= self.state_minus <= high:
            raise ConfigError("state_minus", self.state_minus, f"[{low:g}, {high:g}] (the state range of {self.model})")
        self.population.refuse_conductance_variation(f"{self.model} memristors", stuck_allowed=True)
        self.population.refuse_cycle_variation("train-perceptron (one draw per device)")
        stuck_given = [(name, getattr(self.population, name)) for name in ("stuck_on", "stuck_off")
                       if getattr(self.population, name)]
        if stuck_given and not threshold_names(model):
            raise ConfigError(f"population.{stuck_given[0][0]}", stuck_given[0][1],
                              f"0 for {self.model}: a stuck cell is pinned by moving its switching thresholds "
                              "out of reach, and it has none", reason="cannot be pinned")
        self.cell_params  # draws (and so checks) the varied parameters
        thresholds = [abs(float(self.params[name])) for name in ("v_off", "v_on") if name in self.params]
        if self.array == "0T1R":
            for name in ("gate_on_V", "gate_set_V"):
                if getattr(self, name) != 3.3:
                    raise ConfigError(name, getattr(self, name), "unset: 0T1R cells have no transistor (--array 1T1R)",
                                      reason="does not apply")
            if thresholds and not self.write_V / 2 < min(thresholds) < self.write_V:
                raise ConfigError("v_write_V", self.write_V, f"V_W/2 < {min(thresholds):g} V < V_W (the V/2 scheme)",
                                  reason="does not straddle the device's threshold")
        elif thresholds and self.write_V <= min(thresholds):
            raise ConfigError("v_write_V", self.write_V, f"above the {min(thresholds):g} V threshold",
                              reason="cannot switch a cell")
        if thresholds and self.v_read_V >= min(thresholds):
            raise ConfigError("v_read_V", self.v_read_V, f"below the {min(thresholds):g} V threshold",
                              reason="would switch cells while reading")

    @functools.cached_property
    def stuck(self) -> np.ndarray:
        """``(10, 6)`` stuck codes (0 ok, 1 stuck ON, 2 stuck OFF) drawn from the population."""
        return self.population.draw_stuck((INPUTS, COLUMNS), self.seed)

    @functools.cached_property
    def cell_params(self) -> dict[str, np.ndarray]:
        """The model parameters that differ per cell (name -> ``(10, 6)``): the population's
        draws, and the out-of-reach thresholds of the stuck cells."""
        from memspice.spicelib import get_model

        model = get_model(self.model)
        drawn = self.population.draw_parameters(model, self.params, (INPUTS, COLUMNS), self.seed)
        return stuck_cell_values(model, self.params, self.stuck, drawn) if self.stuck.any() else drawn

    @property
    def write_V(self) -> float:
        """V_W: ``v_write_V``, or 1.6 V on 0T1R and 2.0 V on 1T1R."""
        if self.v_write_V is not None:
            return self.v_write_V
        return 1.6 if self.array == "0T1R" else 2.0

    @property
    def bench(self) -> ArrayBench:
        return ArrayBench(INPUTS, COLUMNS, self.model, self.params, self.r_wire_ohm, self.cell_params, cell=self.array)

    def _gates(self, level_V: float, rows: object = slice(None)) -> np.ndarray | None:
        """Gate levels of a phase: ``level_V`` on ``rows``, 0 elsewhere (None on 0T1R)."""
        if self.array == "0T1R":
            return None
        gates = np.zeros(INPUTS)
        gates[rows] = level_V
        return gates

    def initial_states(self) -> np.ndarray:
        """``(10, 6)`` states: G⁺ uniform in state_minus ± state_spread (clipped to the range),
        G⁻ at state_minus; a stuck cell at the state bound of its highest (stuck ON) or lowest
        (stuck OFF) conductance."""
        rng = np.random.default_rng(self.seed)
        states = np.full((INPUTS, COLUMNS), self.state_minus)
        states[:, :OUTPUTS] = self.state_minus + rng.uniform(-self.state_spread, self.state_spread, (INPUTS, OUTPUTS))
        on_state, off_state = _on_off_states(self)
        states = np.where(self.stuck == 1, on_state, np.where(self.stuck == 2, off_state, states))
        return self.bench.clip_states(states)

    def read_phases(self, x: np.ndarray) -> list[Phase]:
        """One read per pattern: word line i at x_i·V_R, every bit line at 0 V (1T1R: every gate on)."""
        return [Phase(row * self.v_read_V, np.zeros(COLUMNS), self.read_width_s, self.rise_s, f"read {n}",
                      self._gates(self.gate_on_V)) for n, row in enumerate(x)]

    def row_read_phase(self, row: int) -> Phase:
        """Read of one word line at V_R (1T1R: its gate on): the bit lines give that row's conductances."""
        word = np.zeros(INPUTS)
        word[row] = self.v_read_V
        return Phase(word, np.zeros(COLUMNS), self.read_width_s, self.rise_s, f"read row {row}",
                     self._gates(self.gate_on_V, row))

    def cell_pulse(self, rows: list[int], column: int, direction: int, up_sign: float, width_s: float) -> Phase:
        """One pulse that moves cells ``(r, column)``, ``r`` in ``rows``, up (+1) or down (−1) in G.

        0T1R: the V/2 scheme (:func:`~memspice.circuits.write_schemes.scheme_phase`). 1T1R: the
        selected rows' gates on (at the SET compliance ``gate_set_V`` to raise G, fully on to
        lower it), the other rows' transistors off; the selected cells see V_W and the other
        cells of their rows 0 V (their bit lines held at the word lines' level), so nothing
        is half-selected.
        """
        cell_V = direction * up_sign * self.write_V
        label = f"{'increase' if direction > 0 else 'decrease'} column {column}"
        if self.array == "0T1R":
            return scheme_phase("v2", INPUTS, COLUMNS, [(r, column) for r in rows], cell_V, width_s=width_s,
                                rise_s=self.rise_s, label=label)
        word, bit = np.zeros(INPUTS), np.zeros(COLUMNS)
        if cell_V > 0:
            word[rows] = cell_V
            bit[:] = cell_V
            bit[column] = 0.0
        else:
            bit[column] = -cell_V
        gate = self.gate_set_V if direction > 0 else self.gate_on_V
        return Phase(word, bit, width_s, self.rise_s, label, self._gates(gate, rows))

    def update_phases(self, signs: np.ndarray, up_sign: float) -> list[Phase]:
        """The Manhattan step of every output: its G⁺ column in two steps (raise, then lower);
        with ``both_devices`` its G⁻ column the opposite way. ``up_sign`` is the polarity that raises G."""
        phases: list[Phase] = []
        columns = [(j, signs[:, j]) for j in range(OUTPUTS)]
        if self.both_devices:
            columns += [(OUTPUTS + j, -signs[:, j]) for j in range(OUTPUTS)]
        for column, sign in columns:
            for direction in (1, -1):
                rows = [int(r) for r in np.flatnonzero(sign == direction)]
                if rows:
                    phases.append(self.cell_pulse(rows, column, direction, up_sign, self.pulse_width_s))
        return phases


@dataclass(frozen=True)
class UpdateCost:
    """The weight update that led to an epoch's forward pass: cell pulses, pulse steps in time
    (cells pulsed together count once), the update's device time as run (s) and as it would
    take with every cell pulse on its own (s; the published comparison's serial order), the
    simulator transients it took and the energy the sources delivered for it (J; write-verify:
    its reads included)."""

    pulses: int = 0
    steps: int = 0
    time_s: float = 0.0
    serial_time_s: float = 0.0
    transients: int = 0
    energy_J: float = 0.0


@dataclass(frozen=True)
class Epoch:
    """One epoch's forward pass (before its update): output currents ``(30, 3)`` (A), outputs
    f, misclassified count, the signs it decided, and the conductances read from the states."""

    index: int
    currents_A: np.ndarray
    outputs: np.ndarray
    wrong: int
    signs: np.ndarray
    conductance_S: np.ndarray
    energy_J: float
    device_time_s: float
    wall_time_s: float
    update: "UpdateCost"


@dataclass(frozen=True)
class PerceptronResult:
    config: PerceptronConfig
    epochs: tuple[Epoch, ...]
    ideal_wrong: tuple[int, ...]
    #: Per epoch, the schedules simulated in hardware order (write-verify pulses, then the forward pass).
    schedules: tuple[tuple[Schedule, ...], ...]
    step_S: float
    states0: np.ndarray
    final_states: np.ndarray
    engine: str
    engine_version: str
    netlist_name: str
    netlist_text: str
    netlist_files: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def converged_epoch(self) -> int | None:
        """The first epoch whose forward pass classified every pattern (0 = before any update)."""
        return next((e.index for e in self.epochs if e.wrong == 0), None)

    def unselected_drift_S(self) -> float:
        """The largest conductance change (S) of a cell an update did not select (its weight's
        sign was 0, or a fixed G⁻), over every epoch: the half-select disturb."""
        worst = 0.0
        for before, after in zip(self.epochs, self.epochs[1:]):
            selected = np.zeros((INPUTS, COLUMNS), dtype=bool)
            selected[:, :OUTPUTS] = before.signs != 0
            if self.config.both_devices:
                selected[:, OUTPUTS:] = before.signs != 0
            change = np.abs(after.conductance_S - before.conductance_S)[~selected]
            worst = max(worst, float(change.max(initial=0.0)))
        return worst

    def history(self) -> "pd.DataFrame":
        import pandas as pd

        rows = []
        _, labels = patterns()
        t = targets(labels)
        # The ideal training stops once it classifies every pattern: it stays at 0 after that.
        ideal_wrong = list(self.ideal_wrong) + [self.ideal_wrong[-1]] * len(self.epochs)
        for e, ideal in zip(self.epochs, ideal_wrong):
            correct = e.currents_A[np.arange(len(labels)), labels]
            others = np.where(t > 0, -np.inf, e.currents_A).max(axis=1)
            rows.append({"epoch": e.index, "misclassified": e.wrong, "misclassified_ideal": ideal,
                         "loss": float(np.mean((t - e.outputs) ** 2)),
                         "min_margin_A": float(np.min(correct - others)), "mean_margin_A": float(np.mean(correct - others)),
                         "pulses": e.update.pulses, "pulse_steps": e.update.steps,
                         "update_time_s": e.update.time_s, "update_time_serial_s": e.update.serial_time_s,
                         "transients": e.update.transients + 1, "update_energy_J": e.update.energy_J,
                         "energy_J": e.energy_J, "device_time_s": e.device_time_s, "wall_time_s": e.wall_time_s})
        return pd.DataFrame(rows)

    def weights(self) -> "pd.DataFrame":
        import pandas as pd

        frames = []
        r, c = np.indices((INPUTS, COLUMNS))
        stuck = np.asarray(STUCK_CODES)[self.config.stuck.ravel()]
        for e in self.epochs:
            frames.append(pd.DataFrame({"epoch": e.index, "row": r.ravel(), "col": c.ravel(),
                                        "g_S": e.conductance_S.ravel(), "stuck": stuck}))
        return pd.concat(frames, ignore_index=True)

    def pulses(self) -> "pd.DataFrame":
        """Every non-zero line level of every update phase: epoch, run (the transient within the
        epoch: write-verify runs one per pulse), phase, line (``word<i>``, ``bit<j>``, ``gate<i>``),
        amplitude, width, rise, start (s from the start of its run)."""
        import pandas as pd

        rows = []
        for epoch, schedules in enumerate(self.schedules):
            for run, schedule in enumerate(schedules):
                starts = schedule.starts_s
                for k, phase in enumerate(schedule.phases):
                    if phase.label.startswith("read"):
                        continue
                    lines = [("word", phase.word_levels_V), ("bit", phase.bit_levels_V)]
                    if phase.gate_levels_V is not None:
                        lines.append(("gate", phase.gate_levels_V))
                    for kind, levels in lines:
                        for line in np.flatnonzero(levels):
                            rows.append({"epoch": epoch, "run": run, "phase": k, "label": phase.label,
                                         "line": f"{kind}{line}", "amplitude_V": float(levels[line]),
                                         "width_s": phase.width_s, "rise_s": phase.rise_s, "start_s": float(starts[k])})
        return pd.DataFrame(rows, columns=["epoch", "run", "phase", "label", "line", "amplitude_V", "width_s", "rise_s",
                                           "start_s"])

    def tables(self) -> dict[str, "pd.DataFrame"]:
        return {"history": self.history(), "weights": self.weights(), "pulses": self.pulses()}

    def summary(self) -> dict[str, Any]:
        config = self.config
        history = self.history()
        return {
            "model": config.model, "params": dict(config.params), "v_read_V": config.v_read_V,
            "v_write_V": config.write_V, "pulse_width_s": config.pulse_width_s, "r_wire_ohm": config.r_wire_ohm,
            "both_devices": config.both_devices, "array": config.array, "method": config.method,
            "step_S": self.step_S, "worst_unselected_drift_S": self.unselected_drift_S(),
            "seed": config.seed, "population": config.population.to_dict(),
            "stuck_cells": {code: int((self.config.stuck == k).sum()) for k, code in enumerate(STUCK_CODES[:3])},
            "patterns": 30, "epochs_run": len(self.epochs) - 1, "converged_epoch": self.converged_epoch,
            "final_misclassified": self.epochs[-1].wrong, "final_accuracy": 1 - self.epochs[-1].wrong / 30,
            "ideal_converged_epoch": next((k for k, w in enumerate(self.ideal_wrong) if w == 0), None),
            "energy_per_epoch_J": float(history.energy_J[1:].mean()) if len(history) > 1 else 0.0,
            "device_time_per_epoch_s": float(history.device_time_s.mean()),
            "update_per_epoch": {name: float(history[column][1:].mean()) if len(history) > 1 else 0.0
                                 for name, column in (("pulses", "pulses"), ("pulse_steps", "pulse_steps"),
                                                      ("time_s", "update_time_s"),
                                                      ("serial_time_s", "update_time_serial_s"),
                                                      ("transients", "transients"),
                                                      ("energy_J", "update_energy_J"))},
            "wall_time_s": {"per_epoch": float(history.wall_time_s.mean()), "total": float(history.wall_time_s.sum())},
            "engine": {"backend": self.engine, "version": self.engine_version},
            "netlists": [self.netlist_name],
        }


def _ideal_training(config: PerceptronConfig, g0: np.ndarray, step_S: float, epochs: int) -> tuple[int, ...]:
    """Misclassified count per epoch of the same training with exact software Manhattan steps
    of ``step_S`` on G⁺ (and G⁻ with ``both_devices``) from the same initial conductances,
    where the devices allow: every conductance held to the device's range, stuck cells fixed.
    It runs until every pattern is classified or ``epochs`` updates, whatever the SPICE
    training did."""
    pixels, labels = patterns()
    x, t = encode(pixels), targets(labels)
    g = g0.copy()
    g_limits = sorted(_nominal_conductance_S(config, _on_off_states(config)))
    movable = config.stuck == 0
    wrong = []
    for _ in range(epochs + 1):
        currents = config.v_read_V * x @ (g[:, :OUTPUTS] - g[:, OUTPUTS:])
        f = np.tanh(currents / config.output_scale_A)
        wrong.append(misclassified(f, labels))
        if wrong[-1] == 0:
            break
        signs = manhattan_signs(x, f, t)
        step = np.zeros_like(g)
        step[:, :OUTPUTS] = step_S * signs
        if config.both_devices:
            step[:, OUTPUTS:] = -step_S * signs
        g = np.clip(g + step * movable, *g_limits)
    return tuple(wrong)


def run_perceptron(config: PerceptronConfig, *, options: RunOptions | None = None,
                   progress: ProgressCallback | None = None) -> PerceptronResult:
    """Train in SPICE: per epoch the previous epoch's update (write-without-verify: in the same
    transient as the reads; write-verify: pulse-read transients first), then the 30 reads."""
    pixels, labels = patterns()
    x, t = encode(pixels), targets(labels)
    bench = config.bench
    states = config.initial_states()
    states0 = states.copy()
    up_sign = _raising_polarity(config)
    step_S = 0.0  # write-verify calibrates it at the first update, in the engine epoch 0 ran in
    signs = np.zeros((INPUTS, OUTPUTS), dtype=int)
    epochs: list[Epoch] = []
    schedules: list[tuple[Schedule, ...]] = []
    first: ScheduleRun | None = None
    slot_s = config.pulse_width_s + 2 * config.rise_s + GAP_S
    for epoch in range(config.max_epochs + 1):
        started = time.perf_counter()
        update: list[Phase] = []
        verified: tuple[Schedule, ...] = ()
        energy = device_time = 0.0
        cost = UpdateCost()
        if epoch and config.method == "write-verify":
            step_S = step_S or _calibrated_step_S(config, up_sign, options)
            verify, read_run = _verify_update(config, states, signs, step_S, up_sign, options)
            options = pin_engine(options, read_run)
            states = verify.states
            verified = (read_run.schedule, *verify.schedules)
            energy, device_time = verify.energy_J + read_run.energy_J(), verify.device_time_s + read_run.schedule.stop_s
            cost = UpdateCost(int(verify.pulses.sum()), int(verify.pulses.sum()), device_time, device_time,
                              verify.transients + 1, energy)
        elif epoch:
            update = config.update_phases(signs, up_sign)
            pulses = len(_update_cells(config, signs))  # every moved cell gets one pulse
            cost = UpdateCost(pulses, len(update), len(update) * slot_s, pulses * slot_s, 0)
        schedule = Schedule(tuple(update + config.read_phases(x)), gap_s=GAP_S)
        run = run_schedule(bench, states, schedule, options=options, name=f"epoch_{epoch}")
        options = pin_engine(options, run)
        first = first or run
        schedules.append((*verified, schedule))
        if update:
            cost = dataclasses.replace(cost, energy_J=run.energy_J(t_stop_s=float(schedule.starts_s[len(update)])))
        currents = np.array([run.bit_currents_A(len(update) + n) for n in range(len(x))])
        output_currents = currents[:, :OUTPUTS] - currents[:, OUTPUTS:]
        f = np.tanh(output_currents / config.output_scale_A)
        wrong = misclassified(f, labels)
        states = run.states_after
        signs = manhattan_signs(x, f, t)
        epochs.append(Epoch(epoch, output_currents, f, wrong, signs,
                            bench.read_conductance(states, config.v_read_V), energy + run.energy_J(),
                            device_time + schedule.stop_s, time.perf_counter() - started, cost))
        if progress is not None:
            progress(epoch + 1, config.max_epochs + 1, f"epoch {epoch}: {wrong} of 30 misclassified",
                     time.perf_counter() - started)
        if wrong == 0:
            break
    g0 = bench.read_conductance(states0, config.v_read_V)
    if not step_S:
        step_S = float(np.median(np.abs(np.diff([e.conductance_S[:, :OUTPUTS] for e in epochs], axis=0)))) \
            if len(epochs) > 1 else 0.0
    assert first is not None
    return PerceptronResult(
        config=config, epochs=tuple(epochs), ideal_wrong=_ideal_training(config, g0, step_S, config.max_epochs),
        schedules=tuple(schedules), step_S=step_S, states0=states0, final_states=states,
        engine=first.waveforms.backend, engine_version=first.waveforms.engine_version,
        netlist_name=f"epoch_0{first.netlist_suffix}", netlist_text=first.netlist_text,
        netlist_files=netlist_files(first.waveforms),
    )


#: Lines at 0 V between phases (s).
GAP_S = 2e-9


def _update_cells(config: PerceptronConfig, signs: np.ndarray) -> list[tuple[int, int, int]]:
    """``(row, column, direction)`` of every cell the Manhattan signs move, column by column."""
    cells = [(int(r), j, int(signs[r, j])) for j in range(OUTPUTS) for r in np.flatnonzero(signs[:, j])]
    if config.both_devices:
        cells += [(int(r), OUTPUTS + j, -int(signs[r, j])) for j in range(OUTPUTS) for r in np.flatnonzero(signs[:, j])]
    return cells


def _read_rows(config: PerceptronConfig, states: np.ndarray, options: RunOptions | None,
               name: str) -> tuple[np.ndarray, ScheduleRun]:
    """``(10, 6)`` read-back conductances (S) of every cell, one row read after another (one transient)."""
    schedule = Schedule(tuple(config.row_read_phase(r) for r in range(INPUTS)), gap_s=GAP_S)
    run = run_schedule(config.bench, states, schedule, options=options, name=name)
    return np.array([run.read_row_conductance_S(r) for r in range(INPUTS)]), run


def _verify_update(config: PerceptronConfig, states: np.ndarray, signs: np.ndarray, step_S: float, up_sign: float,
                   options: RunOptions | None) -> tuple[VerifyResult, ScheduleRun]:
    """Write-verify every cell the signs move to its read-back ± one step, one cell at a time."""
    start_S, read_run = _read_rows(config, states, options, "verify_read")
    cells = _update_cells(config, signs)
    target = start_S.copy()
    for r, c, direction in cells:
        target[r, c] += direction * step_S
    engine = pin_engine(options, read_run).engine
    verify = verify_cells(
        config.bench, states, [(r, c) for r, c, _ in cells], target, start_S,
        pulse=lambda r, c, direction: config.cell_pulse([r], c, direction, up_sign, config.verify_width_s),
        read=config.row_read_phase, tolerance_S=config.verify_tolerance * step_S,
        max_pulses=config.max_verify_pulses, gap_s=GAP_S, options=pin_engine(options, read_run), name="verify",
        # Rows side by side only where no pulse reaches another row: 1T1R, ideal wires, one VACASK process.
        rows_together=config.array == "1T1R" and config.r_wire_ohm == 0 and engine == "vacask")
    return verify, read_run


def _calibrated_step_S(config: PerceptronConfig, up_sign: float, options: RunOptions | None) -> float:
    """The step Δw0 write-verify moves a weight by: the mean conductance change of one full
    Manhattan pulse up and one down on cell (0, 0) of the nominal array (no population, ideal
    wires), every cell at ``state_minus``."""
    bench = ArrayBench(INPUTS, COLUMNS, config.model, config.params, cell=config.array)
    states = np.full((INPUTS, COLUMNS), config.state_minus)
    schedules = [Schedule((config.cell_pulse([0], 0, direction, up_sign, config.pulse_width_s),), gap_s=GAP_S)
                 for direction in (1, -1)]
    runs = run_schedules(bench, [(states, schedule) for schedule in schedules], options=options, name="calibrate")
    g0 = bench.read_conductance(states, config.v_read_V)[0, 0]
    return float(np.mean([abs(bench.read_conductance(run.states_after, config.v_read_V)[0, 0] - g0) for run in runs]))


def _on_off_states(config: PerceptronConfig) -> tuple[float, float]:
    """The model states of the highest and the lowest conductance: the two ends of its state range."""
    from memspice.spicelib import get_model

    model = get_model(config.model)
    low, high = model.parameter(model.state_initial).bounds
    g_low, g_high = _nominal_conductance_S(config, (low, high))
    return (high, low) if g_high > g_low else (low, high)


def _raising_polarity(config: PerceptronConfig) -> float:
    """The sign of the cell voltage that raises G: the catalog's models move their state up
    under a positive voltage (toward OFF for VTEAM), so it is +1 when G grows with the state
    (from the model's own G(x) at 0.4 and 0.6) and −1 when it falls (VTEAM)."""
    g_low, g_high = _nominal_conductance_S(config, (0.4, 0.6))
    return 1.0 if g_high > g_low else -1.0


def _nominal_conductance_S(config: PerceptronConfig, states: tuple[float, ...]) -> np.ndarray:
    """Read conductance (S) of the nominal device (no population) at each of ``states``,
    from the model's own equations."""
    return ArrayBench(1, len(states), config.model, config.params).read_conductance(
        np.array([states]), config.v_read_V)[0]


def replay(config: PerceptronConfig, pulses: "pd.DataFrame", states0: np.ndarray, *,
           options: RunOptions | None = None) -> np.ndarray:
    """The final states of the update pulses of ``pulses`` (as :meth:`PerceptronResult.pulses`
    writes them) applied from ``states0`` without the reads, one transient per run as trained
    (each write-verify pulse its own: a continuous transient of them all integrates the edges
    on other time points, which moves the states by a few 1e-3 of a step)."""
    states = np.asarray(states0, dtype=float)
    gated = config.array == "1T1R"
    for (epoch, run), rows in pulses.groupby(["epoch", "run"], sort=True):
        phases = []
        for (_, label), lines in rows.groupby(["phase", "label"], sort=True):
            levels = {"word": np.zeros(INPUTS), "bit": np.zeros(COLUMNS), "gate": np.zeros(INPUTS)}
            for line, level in zip(lines.line, lines.amplitude_V):
                kind = line.rstrip("0123456789")
                levels[kind][int(line[len(kind):])] = level
            phases.append(Phase(levels["word"], levels["bit"], float(lines.width_s.iloc[0]),
                                float(lines.rise_s.iloc[0]), label, levels["gate"] if gated else None))
        states = run_schedule(config.bench, states, Schedule(tuple(phases), gap_s=GAP_S), options=options,
                              name=f"replay_{epoch}_{run}").states_after
    return states


def _plot(result: PerceptronResult, path: Path) -> Path:
    from memspice.analysis.perceptron_plots import plot_training

    history = result.history()
    first, last = result.epochs[0].conductance_S, result.epochs[-1].conductance_S
    stuck = result.config.stuck != 0
    return plot_training(history, first, last, path, stuck_weights=stuck[:, :OUTPUTS] | stuck[:, OUTPUTS:], title=(
        f"Perceptron in SPICE: 10x6 {result.config.array} {result.config.model} array, {result.config.method}, "
        f"V_W {result.config.write_V:g} V, {result.config.pulse_width_s:g} s steps, r_wire {result.config.r_wire_ohm:g} Ω"
        f"{', ' + result.config.population.describe() if not result.config.population.is_ideal else ''} "
        f"({result.engine})"))


def write_perceptron_report(result: PerceptronResult, out_dir: Path) -> dict[str, Path]:
    """``history.csv``, ``weights.csv``, ``pulses.csv``, ``training.png``, the first epoch's netlist
    and, last, ``summary.json``."""
    return write_report(
        out_dir, texts={result.netlist_name: result.netlist_text}, files=result.netlist_files,
        tables={f"{name}.csv": frame for name, frame in result.tables().items()},
        figures={"training.png": lambda path: _plot(result, path)}, summary=result.summary(),
    )


def summary_lines(result: PerceptronResult) -> list[str]:
    s = result.summary()
    done = (f"all 30 patterns classified after {s['converged_epoch']} epochs" if s["converged_epoch"] is not None
            else f"{s['final_misclassified']} of 30 still misclassified after {s['epochs_run']} epochs")
    update = s["update_per_epoch"]
    return [f"{done} (ideal Manhattan steps: {s['ideal_converged_epoch']}); "
            f"{s['wall_time_s']['per_epoch']:.3g} s per epoch ({result.engine}), {s['energy_per_epoch_J']:.3g} J per epoch",
            f"{config_line(result.config)}: {update['pulses']:.3g} pulses per update in {update['pulse_steps']:.3g} "
            f"steps, {update['time_s']:.3g} s of device time ({update['serial_time_s']:.3g} s one cell at a time), "
            f"{update['energy_J']:.3g} J"]


def config_line(config: PerceptronConfig) -> str:
    return f"{config.array} {config.method}"


def cost(config: PerceptronConfig) -> RunCost:
    """One transient per epoch: up to 6 update steps (12 with both devices) and 30 reads of the
    10 × 6 array; write-verify adds a read of every row and up to ``max_verify_pulses``
    pulse-read transients per cell."""
    length = 12 * (config.pulse_width_s + 2 * config.rise_s) + 30 * (config.read_width_s + 2 * config.rise_s) + 1e-7
    step = min(config.rise_s, min(config.pulse_width_s, config.read_width_s, config.verify_width_s) / 20)
    simulations = config.max_epochs + 1
    if config.method == "write-verify":
        simulations += config.max_epochs * (1 + INPUTS * COLUMNS * config.max_verify_pulses)
    return array_cost("an epoch's transient", INPUTS, COLUMNS, device="memristor", wires=config.r_wire_ohm > 0,
                      time_points=int(length / step) + 1, simulations=simulations, points_option="--pulse-width")


_EPILOG = """\
outputs in DIR:
  history.csv   epoch, misclassified (SPICE and ideal Manhattan), loss, margins, pulses, energy, times
  weights.csv   every cell's conductance at every epoch's forward pass
  pulses.csv    every update pulse: epoch, run, phase, line, amplitude_V, width_s, rise_s, start_s
  training.png  misclassified patterns and output margin vs epoch, G+ - G- before and after
  summary.json  epochs to converge, accuracy, energy and time per epoch, engine

example:
  memspice train-perceptron --out out/perceptron
  memspice train-perceptron --vary k_off=lognormal:0.3 --seed 2 --out out/perceptron_spread
  memspice train-perceptron --stuck-on 0.02 --stuck-off 0.02 --both-devices --out out/perceptron_stuck
  memspice train-perceptron --array 1T1R --method write-verify --engine vacask --out out/perceptron_wv
"""

STUDY = register_study(Study(
    name="train-perceptron", Config=PerceptronConfig,
    title="in-situ training of Prezioso's 10x6 perceptron (letters z, v, n) with V/2 Manhattan updates",
    description=(
        "Train a single-layer perceptron on a passive 10x6 crossbar of thresholded memristors: 3x3 letters "
        "z, v, n and their one-pixel-flipped variants as +/-V_R inputs plus a bias, tanh outputs of differential "
        "pairs, batch Manhattan updates written as V/2 pulses on the G+ columns (two steps per column), every "
        "epoch one transient from the states the last one left. An ideal software training from the same "
        "initial weights runs beside it. --array 1T1R --method write-verify|write-without-verify compares "
        "closed-loop pulse-read updates, one cell at a time, with open-loop column-parallel pulses (Yao 2017)."),
    epilog=_EPILOG, loop=run_perceptron, cost=cost, report=write_perceptron_report, summary_lines=summary_lines,
))
