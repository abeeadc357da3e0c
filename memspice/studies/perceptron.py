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

import functools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from memspice.analysis.letters import CLASSES, encode, manhattan_signs, misclassified, patterns, targets
from memspice.circuits.line_schedule import Phase, Schedule
from memspice.circuits.write_schemes import manhattan_phases
from memspice.config import ConfigBase, ConfigError, setting
from memspice.engine.budget import RunCost, array_cost
from memspice.engine.options import RunOptions
from memspice.flows.array_pulses import ArrayBench, ScheduleRun, device_params, pin_engine, run_schedule
from memspice.spicelib.variation import PopulationConfig
from memspice.studies.base import ProgressCallback, Study, register_study
from memspice.studies.report import netlist_files, write_report

if TYPE_CHECKING:
    import pandas as pd

INPUTS, OUTPUTS = 10, len(CLASSES)
#: Columns: G⁺ of each output, then G⁻ of each output.
COLUMNS = 2 * OUTPUTS


@dataclass(frozen=True)
class PerceptronConfig(ConfigBase):
    """The array, the device, the pulses and the training limits (SI units)."""

    model: str = setting("vteam", doc="catalog memristor (vteam starts from the ±1.4 V write device)")
    params: Mapping[str, Any] = setting(default_factory=dict, cli="set", doc="model parameter overrides, e.g. v_off=1.2")
    v_read_V: float = setting(0.2, unit="V", low=0.0, low_open=True, high=5.0, cli="v-read",
                              doc="read voltage V_R: a black pixel at +V_R, a white one at -V_R")
    v_write_V: float = setting(1.6, unit="V", low=0.0, low_open=True, high=20.0, cli="v-write",
                               doc="write amplitude V_W of a Manhattan step (V/2 scheme: half-selected cells see V_W/2)")
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
        self.population.refuse_conductance_variation(f"{self.model} memristors")
        self.population.refuse_cycle_variation("train-perceptron (one draw per device)")
        self.cell_params  # draws (and so checks) the varied parameters
        thresholds = [abs(float(self.params[name])) for name in ("v_off", "v_on") if name in self.params]
        if thresholds and not self.v_write_V / 2 < min(thresholds) < self.v_write_V:
            raise ConfigError("v_write_V", self.v_write_V, f"V_W/2 < {min(thresholds):g} V < V_W (the V/2 scheme)",
                              reason="does not straddle the device's threshold")
        if thresholds and self.v_read_V >= min(thresholds):
            raise ConfigError("v_read_V", self.v_read_V, f"below the {min(thresholds):g} V threshold",
                              reason="would switch cells while reading")

    @functools.cached_property
    def cell_params(self) -> dict[str, np.ndarray]:
        """The model parameters the population draws per cell (name -> ``(10, 6)``)."""
        from memspice.spicelib import get_model

        return self.population.draw_parameters(get_model(self.model), self.params, (INPUTS, COLUMNS), self.seed)

    @property
    def bench(self) -> ArrayBench:
        return ArrayBench(INPUTS, COLUMNS, self.model, self.params, self.r_wire_ohm, self.cell_params)

    def initial_states(self) -> np.ndarray:
        """``(10, 6)`` states: G⁺ uniform in state_minus ± state_spread (clipped to the range), G⁻ at state_minus."""
        rng = np.random.default_rng(self.seed)
        states = np.full((INPUTS, COLUMNS), self.state_minus)
        states[:, :OUTPUTS] = self.state_minus + rng.uniform(-self.state_spread, self.state_spread, (INPUTS, OUTPUTS))
        return self.bench.clip_states(states)

    def read_phases(self, x: np.ndarray) -> list[Phase]:
        """One read per pattern: word line i at x_i·V_R, every bit line at 0 V."""
        return [Phase.from_levels(row * self.v_read_V, np.zeros(COLUMNS), width_s=self.read_width_s,
                                  rise_s=self.rise_s, label=f"read {n}") for n, row in enumerate(x)]

    def update_phases(self, signs: np.ndarray, up_sign: float) -> list[Phase]:
        """The Manhattan step of every output: its G⁺ column in two steps (raise, then lower);
        with ``both_devices`` its G⁻ column the opposite way. ``up_sign`` is the polarity that raises G."""
        phases: list[Phase] = []
        columns = [(j, signs[:, j]) for j in range(OUTPUTS)]
        if self.both_devices:
            columns += [(OUTPUTS + j, -signs[:, j]) for j in range(OUTPUTS)]
        for column, sign in columns:
            phases += manhattan_phases(
                INPUTS, COLUMNS, line=column, increase=list(np.flatnonzero(sign > 0)),
                decrease=list(np.flatnonzero(sign < 0)), v_increase_V=up_sign * self.v_write_V,
                v_decrease_V=-up_sign * self.v_write_V, axis="column", scheme="v2", width_s=self.pulse_width_s,
                rise_s=self.rise_s)
        return phases


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


@dataclass(frozen=True)
class PerceptronResult:
    config: PerceptronConfig
    epochs: tuple[Epoch, ...]
    ideal_wrong: tuple[int, ...]
    schedules: tuple[Schedule, ...]
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

    def history(self) -> "pd.DataFrame":
        import pandas as pd

        rows = []
        _, labels = patterns()
        t = targets(labels)
        for e, ideal in zip(self.epochs, self.ideal_wrong):
            correct = e.currents_A[np.arange(len(labels)), labels]
            others = np.where(t > 0, -np.inf, e.currents_A).max(axis=1)
            rows.append({"epoch": e.index, "misclassified": e.wrong, "misclassified_ideal": ideal,
                         "loss": float(np.mean((t - e.outputs) ** 2)),
                         "min_margin_A": float(np.min(correct - others)), "mean_margin_A": float(np.mean(correct - others)),
                         "pulses": int(np.abs(e.signs).sum()) * (2 if self.config.both_devices else 1),
                         "energy_J": e.energy_J, "device_time_s": e.device_time_s, "wall_time_s": e.wall_time_s})
        return pd.DataFrame(rows)

    def weights(self) -> "pd.DataFrame":
        import pandas as pd

        frames = []
        r, c = np.indices((INPUTS, COLUMNS))
        for e in self.epochs:
            frames.append(pd.DataFrame({"epoch": e.index, "row": r.ravel(), "col": c.ravel(),
                                        "g_S": e.conductance_S.ravel()}))
        return pd.concat(frames, ignore_index=True)

    def pulses(self) -> "pd.DataFrame":
        """Every non-zero line level of every update phase: epoch, phase, line, amplitude, width, start."""
        import pandas as pd

        rows = []
        for epoch, schedule in enumerate(self.schedules):
            starts = schedule.starts_s
            for k, phase in enumerate(schedule.phases):
                if phase.label.startswith("read"):
                    continue
                for kind, levels in (("word", phase.word_levels_V), ("bit", phase.bit_levels_V)):
                    for line in np.flatnonzero(levels):
                        rows.append({"epoch": epoch, "phase": k, "label": phase.label, "line": f"{kind}{line}",
                                     "amplitude_V": float(levels[line]), "width_s": phase.width_s,
                                     "rise_s": phase.rise_s, "start_s": float(starts[k])})
        return pd.DataFrame(rows, columns=["epoch", "phase", "label", "line", "amplitude_V", "width_s", "rise_s",
                                           "start_s"])

    def tables(self) -> dict[str, "pd.DataFrame"]:
        return {"history": self.history(), "weights": self.weights(), "pulses": self.pulses()}

    def summary(self) -> dict[str, Any]:
        config = self.config
        history = self.history()
        return {
            "model": config.model, "params": dict(config.params), "v_read_V": config.v_read_V,
            "v_write_V": config.v_write_V, "pulse_width_s": config.pulse_width_s, "r_wire_ohm": config.r_wire_ohm,
            "both_devices": config.both_devices, "seed": config.seed, "population": config.population.to_dict(),
            "patterns": 30, "epochs_run": len(self.epochs) - 1, "converged_epoch": self.converged_epoch,
            "final_misclassified": self.epochs[-1].wrong, "final_accuracy": 1 - self.epochs[-1].wrong / 30,
            "ideal_converged_epoch": next((k for k, w in enumerate(self.ideal_wrong) if w == 0), None),
            "energy_per_epoch_J": float(history.energy_J[1:].mean()) if len(history) > 1 else 0.0,
            "device_time_per_epoch_s": float(history.device_time_s.mean()),
            "wall_time_s": {"per_epoch": float(history.wall_time_s.mean()), "total": float(history.wall_time_s.sum())},
            "engine": {"backend": self.engine, "version": self.engine_version},
            "netlists": [self.netlist_name],
        }


def _ideal_training(config: PerceptronConfig, g0: np.ndarray, step_S: float, epochs: int) -> tuple[int, ...]:
    """Misclassified count per epoch of the same training with exact software Manhattan steps
    of ``step_S`` on G⁺ (and G⁻ with ``both_devices``) from the same initial conductances."""
    pixels, labels = patterns()
    x, t = encode(pixels), targets(labels)
    g = g0.copy()
    wrong = []
    for _ in range(epochs + 1):
        currents = config.v_read_V * x @ (g[:, :OUTPUTS] - g[:, OUTPUTS:])
        f = np.tanh(currents / config.output_scale_A)
        wrong.append(misclassified(f, labels))
        signs = manhattan_signs(x, f, t)
        g[:, :OUTPUTS] += step_S * signs
        if config.both_devices:
            g[:, OUTPUTS:] -= step_S * signs
    return tuple(wrong)


def run_perceptron(config: PerceptronConfig, *, options: RunOptions | None = None,
                   progress: ProgressCallback | None = None) -> PerceptronResult:
    """Train in SPICE: one transient per epoch (the previous epoch's update, then the reads)."""
    pixels, labels = patterns()
    x, t = encode(pixels), targets(labels)
    bench = config.bench
    states = config.initial_states()
    states0 = states.copy()
    up_sign = _raising_polarity(config)
    signs = np.zeros((INPUTS, OUTPUTS), dtype=int)
    epochs: list[Epoch] = []
    schedules: list[Schedule] = []
    first: ScheduleRun | None = None
    for epoch in range(config.max_epochs + 1):
        started = time.perf_counter()
        update = config.update_phases(signs, up_sign) if epoch else []
        schedule = Schedule(tuple(update + config.read_phases(x)), gap_s=2e-9)
        run = run_schedule(bench, states, schedule, options=options, name=f"epoch_{epoch}")
        options = pin_engine(options, run)
        first = first or run
        schedules.append(schedule)
        currents = np.array([run.bit_currents_A(len(update) + n) for n in range(len(x))])
        output_currents = currents[:, :OUTPUTS] - currents[:, OUTPUTS:]
        f = np.tanh(output_currents / config.output_scale_A)
        wrong = misclassified(f, labels)
        states = run.states_after
        signs = manhattan_signs(x, f, t)
        epochs.append(Epoch(epoch, output_currents, f, wrong, signs,
                            bench.read_conductance(states, config.v_read_V), run.energy_J(), schedule.stop_s,
                            time.perf_counter() - started))
        if progress is not None:
            progress(epoch + 1, config.max_epochs + 1, f"epoch {epoch}: {wrong} of 30 misclassified",
                     run.wall_time_s)
        if wrong == 0:
            break
    g0 = bench.read_conductance(states0, config.v_read_V)
    step = float(np.median(np.abs(np.diff([e.conductance_S[:, :OUTPUTS] for e in epochs], axis=0)))) \
        if len(epochs) > 1 else 0.0
    assert first is not None
    return PerceptronResult(
        config=config, epochs=tuple(epochs), ideal_wrong=_ideal_training(config, g0, step, len(epochs) - 1),
        schedules=tuple(schedules), states0=states0, final_states=states, engine=first.waveforms.backend,
        engine_version=first.waveforms.engine_version, netlist_name=f"epoch_0{first.netlist_suffix}",
        netlist_text=first.netlist_text, netlist_files=netlist_files(first.waveforms),
    )


def _raising_polarity(config: PerceptronConfig) -> float:
    """The sign of the cell voltage that raises G: the catalog's models move their state up
    under a positive voltage (toward OFF for VTEAM), so it is +1 when G grows with the state
    (from the model's own G(x) at 0.4 and 0.6) and −1 when it falls (VTEAM)."""
    g_low, g_high = ArrayBench(1, 2, config.model, config.params).read_conductance(
        np.array([[0.4, 0.6]]), config.v_read_V)[0]
    return 1.0 if g_high > g_low else -1.0


def replay(config: PerceptronConfig, pulses: "pd.DataFrame", states0: np.ndarray, *,
           options: RunOptions | None = None) -> np.ndarray:
    """The final states of the update pulses of ``pulses`` (as :meth:`PerceptronResult.pulses`
    writes them) applied epoch by epoch from ``states0``, without the reads."""
    states = np.asarray(states0, dtype=float)
    for epoch, rows in pulses.groupby("epoch", sort=True):
        phases = []
        for (_, label), lines in rows.groupby(["phase", "label"], sort=True):
            word, bit = np.zeros(INPUTS), np.zeros(COLUMNS)
            for line, level in zip(lines.line, lines.amplitude_V):
                (word if line.startswith("word") else bit)[int(line[4:] if line.startswith("word") else line[3:])] = level
            phases.append(Phase(word, bit, float(lines.width_s.iloc[0]), float(lines.rise_s.iloc[0]), label))
        states = run_schedule(config.bench, states, Schedule(tuple(phases), gap_s=2e-9), options=options,
                              name=f"replay_{epoch}").states_after
    return states


def _plot(result: PerceptronResult, path: Path) -> Path:
    from memspice.analysis.perceptron_plots import plot_training

    history = result.history()
    first, last = result.epochs[0].conductance_S, result.epochs[-1].conductance_S
    return plot_training(history, first, last, path, title=(
        f"Prezioso perceptron in SPICE: 10x6 {result.config.model} crossbar, V_W {result.config.v_write_V:g} V, "
        f"{result.config.pulse_width_s:g} s steps, r_wire {result.config.r_wire_ohm:g} Ω ({result.engine})"))


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
    return [f"{done} (ideal Manhattan steps: {s['ideal_converged_epoch']}); "
            f"{s['wall_time_s']['per_epoch']:.3g} s per epoch ({result.engine}), {s['energy_per_epoch_J']:.3g} J per epoch"]


def cost(config: PerceptronConfig) -> RunCost:
    """One transient per epoch: up to 6 update steps and 30 reads of the 10 × 6 array."""
    length = 6 * (config.pulse_width_s + 2 * config.rise_s) + 30 * (config.read_width_s + 2 * config.rise_s) + 72e-9
    step = min(config.rise_s, min(config.pulse_width_s, config.read_width_s) / 20)
    return array_cost("an epoch's transient", INPUTS, COLUMNS, device="memristor", wires=config.r_wire_ohm > 0,
                      time_points=int(length / step) + 1, simulations=config.max_epochs + 1,
                      points_option="--pulse-width")


_EPILOG = """\
outputs in DIR:
  history.csv   epoch, misclassified (SPICE and ideal Manhattan), loss, margins, pulses, energy, times
  weights.csv   every cell's conductance at every epoch's forward pass
  pulses.csv    every update pulse: epoch, phase, line, amplitude_V, width_s, rise_s, start_s
  training.png  misclassified patterns and output margin vs epoch, G+ - G- before and after
  summary.json  epochs to converge, accuracy, energy and time per epoch, engine

example:
  memspice train-perceptron --out out/perceptron
  memspice train-perceptron --vary k_off=lognormal:0.3 --seed 2 --out out/perceptron_spread
"""

STUDY = register_study(Study(
    name="train-perceptron", Config=PerceptronConfig,
    title="in-situ training of Prezioso's 10x6 perceptron (letters z, v, n) with V/2 Manhattan updates",
    description=(
        "Train a single-layer perceptron on a passive 10x6 crossbar of thresholded memristors: 3x3 letters "
        "z, v, n and their one-pixel-flipped variants as +/-V_R inputs plus a bias, tanh outputs of differential "
        "pairs, batch Manhattan updates written as V/2 pulses on the G+ columns (two steps per column), every "
        "epoch one transient from the states the last one left. An ideal software training from the same "
        "initial weights runs beside it."),
    epilog=_EPILOG, loop=run_perceptron, cost=cost, report=write_perceptron_report, summary_lines=summary_lines,
))
