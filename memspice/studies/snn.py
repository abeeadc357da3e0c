"""Unsupervised learning of the 3×3 letters by a spiking 1T1R network with on-chip STDP (issue 19).

El Arrassi et al. (VLSI-SoC 2022) ran a spiking network whose computation is analog: a
presynaptic spike reads its word line of a 1T1R array, each bit line's current charges an
integrate-and-fire neuron, and learning is on chip — pre- and post-synaptic traces, a post
spike gating SET pulses that follow the pre-traces (LTP), a pre spike gating RESET pulses that
follow the post-traces (LTD), conductances on ~64 levels. Here the whole network is one ngspice
netlist (:mod:`memspice.circuits.spiking`): 9 inputs (the pixels of the letters z, v, n,
:mod:`memspice.analysis.letters`) × ``neurons`` outputs, VTEAM synapses behind level-1 NMOS
transistors, behavioural neurons with winner-take-all, clocked read / LTD / LTP / depression
phases. The run:

1. the STDP window: one-synapse networks with one pre and one forced post spike each, Δt from
   −``window_slots`` to +``window_slots`` slots, Δw against Δt and exponential fits of each side;
2. training: ``epochs`` × the 3 letters in a seeded random order, one transient (segment) per
   presentation of ``slots`` slots, a black pixel spiking in each slot with probability
   ``rate`` (Bernoulli rate code), white pixels silent; each segment starts from the device states
   the last one left, quantised to ``levels`` conductance levels (stochastic rounding, seeded);
3. inference with learning off: each letter once for ``test_slots`` slots, every black pixel
   spiking in every slot, at a fifth of the training time step (which neuron crosses its
   threshold first is then resolved to 0.1 ns); the first neuron to fire is the letter's neuron.

Energy (:mod:`memspice.analysis.spiking_energy`) is split into array (read phases of the line
drivers), learning (STDP pulses) and neuron (membrane charging) and given per output spike.
"""

from __future__ import annotations

import dataclasses
import functools
import types
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from memspice.analysis.letters import CLASSES, LETTERS
from memspice.config import ConfigBase, ConfigError, setting
from memspice.engine.budget import RunCost, transient_points
from memspice.engine.options import RunOptions
from memspice.spicelib.variation import PopulationConfig
from memspice.studies.base import ProgressCallback, Study, register_study
from memspice.studies.report import write_report

if TYPE_CHECKING:
    import pandas as pd

    from memspice.flows.spiking import SpikingBench, SpikingRun

INPUTS = 9
#: The paper's energy per spike (El Arrassi et al. 2022, seed 004), J.
PAPER_ENERGY_PER_SPIKE_J = 20e-15


@dataclass(frozen=True)
class SnnConfig(ConfigBase):
    """The network, its circuits, the device and the training (SI units)."""

    neurons: int = setting(3, low=1, high=16, doc="output neurons (array columns)")
    model: str = setting("vteam", choices=("vteam",),
                         doc="synapse model: VTEAM (α = 1: the state moves in proportion to the voltage past threshold)")
    params: Mapping[str, Any] = setting(default_factory=dict, cli="set",
                                        doc="device parameter overrides on the synapse preset, e.g. k_off=0.05")
    v_read_V: float = setting(0.2, unit="V", low=0.0, low_open=True, high=1.0, cli="v-read",
                              doc="word-line level of a read (a presynaptic spike)")
    capacitance_F: float = setting(1e-12, unit="F", low=1e-15, high=1e-9, cli="capacitance", doc="membrane capacitance")
    v_threshold_V: float = setting(0.5, unit="V", low=0.01, high=5.0, cli="v-threshold", doc="firing threshold")
    refractory_s: float = setting(45e-9, unit="s", low=1e-10, high=1e-5, cli="refractory",
                                  doc="refractory time: 4 to 5 phases, so each post spike gets one LTP and one depression phase")
    leak_resistance_ohm: float = setting(0.0, unit="Ω", low=0.0, high=1e12, cli="leak",
                                         doc="membrane leak resistance (0: none)")
    tau_s: float = setting(100e-9, unit="s", low=1e-10, high=1e-5, cli="tau", doc="R·C of the pre- and post-traces")
    ltp_gain: float = setting(0.3, low=0.0, high=10.0, cli="ltp-gain",
                              doc="SET over-threshold volts per volt of pre-trace (a trace jumps 1 V per spike)")
    ltd_gain: float = setting(0.15, low=0.0, high=10.0, cli="ltd-gain",
                              doc="RESET over-threshold volts per volt of post-trace")
    depression_V: float = setting(0.3, unit="V", low=0.0, high=1.0, cli="depression",
                                  doc="RESET over-threshold amplitude given to every synapse of a firing neuron (0: none)")
    phase_s: float = setting(10e-9, unit="s", low=1e-9, high=1e-6, cli="phase",
                             doc="length of each of the 4 phases of a slot (read, LTD, LTP, depression)")
    slots: int = setting(12, low=2, high=10_000, doc="slots per presentation of a letter")
    test_slots: int = setting(6, low=1, high=10_000, cli="test-slots",
                              doc="slots per presentation in the test (learning off; every black pixel spikes in every slot)")
    rate: float = setting(0.6, low=0.0, low_open=True, high=1.0,
                          doc="probability that a black pixel spikes in a training slot (white pixels never do)")
    epochs: int = setting(4, low=1, high=200, doc="training epochs (each presents the 3 letters once)")
    levels: int = setting(64, low=2, high=4096, doc="conductance levels the states are quantised to after each segment")
    state_low: float = setting(0.0, low=0.0, high=1.0, cli="state-low", doc="initial states uniform in [state-low, state-high]")
    state_high: float = setting(0.08, low=0.0, high=1.0, cli="state-high", doc="see state-low (x = 0 is ON: the synapses start strong, so learning mostly weakens the pixels a neuron's letter lacks)")
    window_slots: int = setting(8, low=0, high=50, cli="window-slots",
                                doc="STDP window: pairs at Δt = -N..N slots (0: not measured)")
    max_step_s: float = setting(0.5e-9, unit="s", low=1e-12, high=1e-7, cli="max-step",
                                doc="largest time step of a training transient (inference: a fifth of it)")
    seed: int = setting(0, low=0, high=10**9, doc="seed of the initial states, spike trains, rounding and population")
    population: PopulationConfig = setting(default_factory=PopulationConfig,
                                           doc="device population: model parameters drawn per cell (--vary)")

    def check(self) -> None:
        from memspice.flows.spiking import SpikingBench  # noqa: F401 - the bench checks the design

        if self.state_low > self.state_high:
            raise ConfigError("state_low", self.state_low, f"at most state_high = {self.state_high:g}")
        object.__setattr__(self, "params", types.MappingProxyType(self._device_params()))
        thresholds = abs(float(self.params["v_on"])), float(self.params["v_off"])
        if abs(thresholds[0] - thresholds[1]) > 1e-9 * thresholds[1]:
            raise ConfigError("params", f"v_on={self.params['v_on']:g}, v_off={self.params['v_off']:g}",
                              "v_on = -v_off (the STDP pulses split one threshold in halves)")
        if float(self.params["alpha_on"]) != 1.0 or float(self.params["alpha_off"]) != 1.0:
            raise ConfigError("params", f"alpha_on={self.params['alpha_on']:g}, alpha_off={self.params['alpha_off']:g}",
                              "alpha_on = alpha_off = 1 (Δw in proportion to the trace needs a linear rate)")
        if self.v_read_V >= thresholds[1] / 2:
            raise ConfigError("v_read_V", self.v_read_V, f"below half the device threshold ({thresholds[1] / 2:g} V)")
        phases = self.refractory_s / self.phase_s
        if not 4 <= phases < 5:
            raise ConfigError("refractory_s", self.refractory_s,
                              f"[{4 * self.phase_s:g}, {5 * self.phase_s:g}) s (4 to 5 phases of {self.phase_s:g} s)")
        if self.max_step_s > self.phase_s / 10:
            raise ConfigError("max_step_s", self.max_step_s, f"at most a tenth of phase_s ({self.phase_s / 10:g} s)")
        self.population.refuse_conductance_variation(f"{self.model} memristors")
        self.population.refuse_cycle_variation("snn (one draw per device)")
        self.bench  # builds (and so checks) the design, the device and the per-cell draws

    def _device_params(self) -> dict[str, Any]:
        from memspice.spicelib import get_model
        from memspice.spicelib.presets import SYNAPSE_DEVICE_PARAMS

        catalog = get_model(self.model)
        return dict(catalog.resolve({**SYNAPSE_DEVICE_PARAMS, **catalog.parse_overrides(dict(self.params))}))

    @functools.cached_property
    def cell_params(self) -> dict[str, np.ndarray]:
        """The model parameters the population draws per synapse (name -> ``(9, neurons)``)."""
        from memspice.spicelib import get_model

        return self.population.draw_parameters(get_model(self.model), self.params, (INPUTS, self.neurons), self.seed)

    @functools.cached_property
    def bench(self) -> "SpikingBench":
        from memspice.circuits.neurons import NeuronDesign
        from memspice.circuits.spiking import SlotClock, SpikingDesign
        from memspice.circuits.stdp import StdpDesign, TraceDesign
        from memspice.flows.spiking import SpikingBench

        trace = TraceDesign(tau_s=self.tau_s)
        design = SpikingDesign(
            neuron=NeuronDesign(capacitance_F=self.capacitance_F, v_threshold_V=self.v_threshold_V,
                                refractory_s=self.refractory_s, leak_resistance_ohm=self.leak_resistance_ohm,
                                reset_conductance_S=max(1e-2, 100 * self.capacitance_F / self.refractory_s),
                                latch_time_s=min(20e-12, self.refractory_s / 200)),
            pre_trace=trace, post_trace=trace, clock=SlotClock(phase_s=self.phase_s, edge_s=self.phase_s / 10),
            stdp=StdpDesign(device_threshold_V=float(self.params["v_off"]), ltp_gain=self.ltp_gain,
                            ltd_gain=self.ltd_gain, depression_V=self.depression_V),
            v_read_V=self.v_read_V)
        return SpikingBench(INPUTS, self.neurons, design, self.model, dict(self.params), self.cell_params,
                            self.max_step_s)


@dataclass(frozen=True)
class Presentation:
    """One segment: ``phase`` (``train``/``test``), epoch, letter, input spike slots, output
    spike times (s, from the segment's start) and the energy by group (J)."""

    phase: str
    epoch: int
    letter: str
    input_slots: tuple[tuple[int, ...], ...]
    spikes_s: tuple[np.ndarray, ...]
    energy_J: Mapping[str, float]
    wall_time_s: float
    simulated_s: float

    @property
    def first_neuron(self) -> int | None:
        """The neuron that fired first (None: none fired)."""
        firsts = [s[0] if s.size else np.inf for s in self.spikes_s]
        return None if not np.isfinite(min(firsts)) else int(np.argmin(firsts))


@dataclass(frozen=True)
class SnnResult:
    config: SnnConfig
    presentations: tuple[Presentation, ...]
    conductance_S: tuple[np.ndarray, ...]  # before training, then after each epoch: (9, neurons)
    window: Any  # flows.spiking.StdpPairs | None
    waveforms: Mapping[str, np.ndarray]  # one training segment: time_s, membranes, spikes, traces
    netlist_text: str
    engine_version: str

    @property
    def tests(self) -> tuple[Presentation, ...]:
        return tuple(p for p in self.presentations if p.phase == "test")

    def assignment(self) -> dict[str, int | None]:
        """Letter -> the neuron that fires first when it is shown with learning off."""
        return {p.letter: p.first_neuron for p in self.tests}

    def correlations(self) -> np.ndarray:
        """``(letters, neurons)`` Pearson correlation of each neuron's final conductances with each letter's pixels."""
        g = self.conductance_S[-1]
        out = np.zeros((len(CLASSES), g.shape[1]))
        for k, letter in enumerate(CLASSES):
            pixels = LETTERS[letter].ravel().astype(float)
            for j in range(g.shape[1]):
                out[k, j] = np.corrcoef(g[:, j], pixels)[0, 1] if np.ptp(g[:, j]) > 0 else 0.0
        return out

    def spikes(self) -> "pd.DataFrame":
        import pandas as pd

        rows, offset = [], 0.0
        for k, p in enumerate(self.presentations):
            for j, times in enumerate(p.spikes_s):
                rows += [{"segment": k, "phase": p.phase, "epoch": p.epoch, "letter": p.letter, "kind": "output",
                          "index": j, "time_s": float(t), "run_time_s": offset + float(t)} for t in times]
            slot = self.config.bench.design.clock.slot_s
            for i, slots in enumerate(p.input_slots):
                rows += [{"segment": k, "phase": p.phase, "epoch": p.epoch, "letter": p.letter, "kind": "input",
                          "index": i, "time_s": s * slot, "run_time_s": offset + s * slot} for s in slots]
            offset += p.simulated_s
        return pd.DataFrame(rows, columns=["segment", "phase", "epoch", "letter", "kind", "index", "time_s",
                                           "run_time_s"])

    def weights(self) -> "pd.DataFrame":
        import pandas as pd

        frames = []
        for epoch, g in enumerate(self.conductance_S):
            i, j = np.indices(g.shape)
            frames.append(pd.DataFrame({"epoch": epoch, "input": i.ravel(), "neuron": j.ravel(), "g_S": g.ravel()}))
        return pd.concat(frames, ignore_index=True)

    def stdp(self) -> "pd.DataFrame":
        import pandas as pd

        if self.window is None:
            return pd.DataFrame(columns=["dt_s", "dx", "dg_S"])
        return pd.DataFrame({"dt_s": self.window.dt_s, "dx": self.window.dx, "dg_S": self.window.dg_S})

    def tables(self) -> dict[str, "pd.DataFrame"]:
        return {"spikes": self.spikes(), "weights": self.weights(), "stdp": self.stdp()}

    def energy(self) -> dict[str, Any]:
        """Energy (J) by group over training and over inference, per output spike and per synaptic event."""
        out: dict[str, Any] = {}
        neurons = self.config.neurons
        for phase in ("train", "test"):
            chosen = [p for p in self.presentations if p.phase == phase]
            totals = {group: float(sum(p.energy_J[group] for p in chosen)) for group in ("array", "learning", "neuron", "total")}
            spikes = int(sum(s.size for p in chosen for s in p.spikes_s))
            pre = int(sum(len(s) for p in chosen for s in p.input_slots))
            out[phase] = {
                "energy_J": totals, "output_spikes": spikes, "input_spikes": pre,
                "per_output_spike_J": {k: (v / spikes if spikes else None) for k, v in totals.items()},
                # A synaptic event: one input spike reaching one synapse (a read of one cell).
                "per_synaptic_event_J": (totals["array"] / (pre * neurons) if pre else None),
            }
        inference = out["test"]["per_output_spike_J"]
        out["paper_per_spike_J"] = PAPER_ENERGY_PER_SPIKE_J
        out["inference_array_and_neuron_per_spike_J"] = (
            inference["array"] + inference["neuron"] if inference["array"] is not None else None)
        out["includes"] = ("array: the word- and bit-line drivers in read phases (V_read through the 1T1R cells); "
                           "neuron: the current conveyor charging the membrane (1/2 C V_th^2 per spike, dissipated by "
                           "the reset); learning: the line drivers in the LTD, LTP and depression phases. Not included: "
                           "gate lines (the level-1 NMOS has no gate capacitance), line capacitance, the behavioural "
                           "comparator/latch/timer, clock and spike generation.")
        return out

    def summary(self) -> dict[str, Any]:
        config = self.config
        assignment = self.assignment()
        neurons = [n for n in assignment.values() if n is not None]
        correlation = self.correlations()
        summary: dict[str, Any] = {
            "neurons": config.neurons, "letters": list(CLASSES), "epochs": config.epochs, "slots": config.slots,
            "test_slots": config.test_slots,
            "rate": config.rate, "levels": config.levels, "seed": config.seed, "model": config.model,
            "params": dict(config.params), "population": config.population.to_dict(),
            "design": {name: getattr(config, name) for name in (
                "v_read_V", "capacitance_F", "v_threshold_V", "refractory_s", "leak_resistance_ohm", "tau_s",
                "ltp_gain", "ltd_gain", "depression_V", "phase_s", "state_low", "state_high", "max_step_s")},
            "first_neuron": assignment,
            "distinct_neurons": len(neurons) == len(CLASSES) and len(set(neurons)) == len(CLASSES),
            "correlation_of_assigned_neuron": {
                letter: (float(correlation[k, n]) if n is not None else None)
                for k, (letter, n) in enumerate(assignment.items())},
            "correlation": {letter: correlation[k].tolist() for k, letter in enumerate(CLASSES)},
            "energy": self.energy(),
            "engine": {"backend": "ngspice", "version": self.engine_version},
        }
        train = [p for p in self.presentations if p.phase == "train"]
        test = list(self.tests)
        # Wall time (s) per simulated second, per kind of ngspice run (run-dependent: "wall_time_s").
        summary["wall_time_s"] = {
            "training_per_simulated_s": float(sum(p.wall_time_s for p in train) / sum(p.simulated_s for p in train)),
            "inference_per_simulated_s": float(sum(p.wall_time_s for p in test) / sum(p.simulated_s for p in test)),
            "total": float(sum(p.wall_time_s for p in self.presentations)
                           + (self.window.wall_time_s if self.window is not None else 0.0)),
        }
        if self.window is not None:
            from memspice.analysis.stdp import fit_window

            fit = fit_window(self.window.dt_s, self.window.dg_S)
            summary["stdp_window"] = {
                "tau_ltp_s": fit.ltp.tau_s, "tau_ltd_s": fit.ltd.tau_s, "tau_rc_s": self.window.tau_pre_rc_s,
                "amplitude_ltp_S": fit.ltp.amplitude, "amplitude_ltd_S": fit.ltd.amplitude,
                "unpaired_dg_S": self.window.unpaired_dg_S, "state0": self.window.state0,
                "post_spikes_per_network": list(self.window.post_spikes),
            }
            summary["wall_time_s"]["stdp_window_per_simulated_s"] = self.window.wall_time_s / self.window.simulated_s
        return summary


def _input_slots(pixels: np.ndarray, slots: int, rate: float, rng: np.random.Generator | None) -> tuple[tuple[int, ...], ...]:
    """Per pixel, the slots it spikes in: black pixels with probability ``rate`` per slot (every
    slot without ``rng``), white pixels never."""
    out = []
    for value in pixels:
        if not value:
            out.append(())
        elif rng is None:
            out.append(tuple(range(slots)))
        else:
            out.append(tuple(int(s) for s in np.flatnonzero(rng.random(slots) < rate)))
    return tuple(out)


def _presentation(run: "SpikingRun", phase: str, epoch: int, letter: str, slots: tuple) -> Presentation:
    return Presentation(phase, epoch, letter, slots, tuple(run.spike_times_s()), run.energies_J(), run.wall_time_s,
                        run.stop_s)


def run_snn(config: SnnConfig, *, options: RunOptions | None = None,
            progress: ProgressCallback | None = None) -> SnnResult:
    """Measure the STDP window, train, then test (see the module docstring)."""
    from memspice.flows.spiking import conductance_table, ngspice_engine, quantise_states, run_segment, stdp_pairs

    ngspice_engine(options)  # refuses VACASK before anything runs
    bench = config.bench
    rng = np.random.default_rng(config.seed)
    table = conductance_table(bench)
    states = quantise_states(bench, table, rng.uniform(config.state_low, config.state_high, (INPUTS, config.neurons)),
                             config.levels, rng)
    total = config.epochs * len(CLASSES) + len(CLASSES) + (1 if config.window_slots else 0)
    done = 0
    window = None
    if config.window_slots:
        window = stdp_pairs(bench, max_slots=config.window_slots, options=options)
        done += 1
        if progress is not None:
            progress(done, total, "STDP window", window.wall_time_s)
    conductances = [bench.conductance_S(states)]
    presentations: list[Presentation] = []
    waveforms: dict[str, np.ndarray] = {}
    netlist_text, version = "", ""
    for epoch in range(config.epochs):
        for k in rng.permutation(len(CLASSES)):
            letter = CLASSES[k]
            slots = _input_slots(LETTERS[letter].ravel(), config.slots, config.rate, rng)
            run = run_segment(bench, states, slots, config.slots, options=options, name=f"train_{epoch}_{letter}")
            states = quantise_states(bench, table, run.states_after, config.levels, rng)
            presentations.append(_presentation(run, "train", epoch, letter, slots))
            netlist_text = netlist_text or run.waveforms.netlist_text
            version = version or run.waveforms.engine_version
            if epoch == config.epochs - 1 and not waveforms:
                waveforms = _waveforms(run, letter)
            done += 1
            if progress is not None:
                n = [s.size for s in presentations[-1].spikes_s]
                progress(done, total, f"epoch {epoch} letter {letter}: output spikes {n}", run.wall_time_s)
        conductances.append(bench.conductance_S(states))
    inference = dataclasses.replace(bench, design=dataclasses.replace(bench.design, learning=False),
                                    max_step_s=bench.max_step_s / 5)
    for letter in CLASSES:
        slots = _input_slots(LETTERS[letter].ravel(), config.test_slots, config.rate, None)
        run = run_segment(inference, states, slots, config.test_slots, options=options, name=f"test_{letter}")
        presentations.append(_presentation(run, "test", config.epochs, letter, slots))
        done += 1
        if progress is not None:
            progress(done, total, f"test letter {letter}: first neuron {presentations[-1].first_neuron}", run.wall_time_s)
    return SnnResult(config=config, presentations=tuple(presentations), conductance_S=tuple(conductances),
                     window=window, waveforms=waveforms, netlist_text=netlist_text, engine_version=version)


def _waveforms(run: "SpikingRun", letter: str) -> dict[str, np.ndarray]:
    nodes = run.nodes
    return {
        "letter": np.array(letter), "time_s": run.time_s,
        "membrane_V": np.stack([run.voltage(n.membrane) for n in nodes.neurons], axis=1),
        "spike_V": np.stack([run.voltage(n.spike) for n in nodes.neurons], axis=1),
        "pre_trace_V": np.stack([run.voltage(node) for node in nodes.pre_traces], axis=1),
        "post_trace_V": np.stack([run.voltage(node) for node in nodes.post_traces], axis=1),
        "state": run.state_traces(),
    }


def write_snn_report(result: SnnResult, out_dir: Path) -> dict[str, Path]:
    """``spikes.csv``, ``weights.csv``, ``stdp.csv``, ``raster.png``, ``waveforms.png``,
    ``weights.png``, ``stdp_window.png``, the netlists of the first training segment and of the
    STDP bench and, last, ``summary.json``."""
    from memspice.analysis import snn_plots

    figures = {
        "raster.png": lambda path: snn_plots.plot_raster(result.spikes(), result.config.neurons, path),
        "waveforms.png": lambda path: snn_plots.plot_waveforms(result.waveforms, result.config.v_threshold_V, path),
        "weights.png": lambda path: snn_plots.plot_weights(result.conductance_S, result.assignment(), path),
    }
    if result.window is not None:
        summary = result.summary()["stdp_window"]
        figures["stdp_window.png"] = lambda path: snn_plots.plot_stdp_window(
            result.window.dt_s, result.window.dg_S, summary["tau_ltp_s"], summary["amplitude_ltp_S"],
            summary["tau_ltd_s"], summary["amplitude_ltd_S"], summary["tau_rc_s"], path)
    texts = {"train_segment.cir": result.netlist_text}
    if result.window is not None:
        texts["stdp_window.cir"] = result.window.netlist_text
    return write_report(out_dir, texts=texts,
                        tables={f"{name}.csv": frame for name, frame in result.tables().items()},
                        figures=figures, summary=result.summary())


def summary_lines(result: SnnResult) -> list[str]:
    s = result.summary()
    first = ", ".join(f"{letter} -> neuron {n}" for letter, n in s["first_neuron"].items())
    corr = ", ".join(f"{letter} {c:.2f}" for letter, c in s["correlation_of_assigned_neuron"].items() if c is not None)
    energy = s["energy"]["test"]["per_output_spike_J"]
    lines = [f"first to fire: {first} ({'distinct' if s['distinct_neurons'] else 'NOT distinct'}); "
             f"weight/letter correlation {corr}"]
    if energy["total"] is not None:
        line = (f"inference energy per output spike {energy['total'] * 1e15:.3g} fJ (array {energy['array'] * 1e15:.3g}, "
                f"neuron {energy['neuron'] * 1e15:.3g}; paper ≈ 20 fJ)")
        training = s["energy"]["train"]["per_output_spike_J"]["total"]
        lines.append(line + (f"; training {training * 1e15:.3g} fJ per spike" if training is not None else ""))
    if "stdp_window" in s:
        w = s["stdp_window"]
        lines.append(f"STDP window: tau LTP {w['tau_ltp_s'] * 1e9:.1f} ns, LTD {w['tau_ltd_s'] * 1e9:.1f} ns "
                     f"(trace R·C {w['tau_rc_s'] * 1e9:.1f} ns)")
    return lines


def cost(config: SnnConfig) -> RunCost:
    """The largest transient of the run: a training segment, or an inference segment at a fifth
    of the time step, of the 9 × neurons array with its neurons, traces and drivers."""
    cells = INPUTS * config.neurons
    elements = cells * 6 + config.neurons * 14 + INPUTS * 6 + 4
    nodes = cells * 3 + config.neurons * 7 + INPUTS * 5 + 4
    slot = 4 * config.phase_s
    training = transient_points(config.slots * slot, config.max_step_s)
    inference = transient_points(config.test_slots * slot, config.max_step_s / 5)
    segments = config.epochs * len(CLASSES) + len(CLASSES) + (1 if config.window_slots else 0)
    return RunCost(what=f"a{' training' if training >= inference else 'n inference'} segment of the spiking array",
                   elements=elements, nodes=nodes, time_points=max(training, inference), simulations=segments,
                   points_option="--slots" if training >= inference else "--test-slots")


def _check_engine(options: RunOptions) -> None:
    """Refuse ``--engine vacask``: the neurons and line drivers are B-sources, which VACASK cannot run."""
    from memspice.errors import ParameterError
    from memspice.flows.spiking import NGSPICE_ENGINES

    if options.engine not in NGSPICE_ENGINES:
        raise ParameterError(f"--engine={options.engine!r} is not allowed; allowed: {', '.join(NGSPICE_ENGINES)} "
                             "(the spiking network's neurons and line drivers are B-sources, which VACASK cannot run)")


_EPILOG = """\
outputs in DIR:
  spikes.csv        every input and output spike: segment, phase (train/test), epoch, letter, kind, index, times
  weights.csv       every synapse's conductance before training and after each epoch
  stdp.csv          the measured STDP window: dt_s = t_post - t_pre, state change dx, conductance change dg_S
  raster.png        input and output spikes of the whole run, letters marked
  waveforms.png     membranes, spikes, pre- and post-traces and device states of one training presentation
  weights.png       each neuron's conductances as a 3x3 image, per epoch
  stdp_window.png   dG vs dt with the exponential fit of each side
  summary.json      which neuron fires first for each letter, correlations, energy per spike, STDP fit, times
  train_segment.cir, stdp_window.cir   the netlists of the first training segment and of the STDP bench

examples:
  memspice snn --out out/snn
  memspice snn --epochs 6 --rate 0.8 --seed 3 --out out/snn_seed3
  memspice snn --vary k_on=lognormal:0.2 --vary k_off=lognormal:0.2 --out out/snn_spread
"""

STUDY = register_study(Study(
    name="snn", Config=SnnConfig,
    title="spiking network on a 1T1R crossbar: integrate-and-fire neurons, on-chip STDP, unsupervised letters",
    description=(
        "A spiking network whose whole computation is analog, in ngspice: 9 inputs (the pixels of the 3x3 letters z, "
        "v, n, rate coded) read the word lines of a 1T1R array of VTEAM synapses, each bit line's current charges an "
        "integrate-and-fire neuron (winner-take-all), and learning is on chip: traces (RC), SET pulses that follow the "
        "pre-trace on a post spike (LTP), RESET pulses that follow the post-trace on a pre spike (LTD), conductances "
        "quantised to 64 levels between presentations. Measures the STDP window, trains unsupervised, tests with "
        "learning off, and accounts the energy per spike (array, neuron, learning)."),
    epilog=_EPILOG, loop=run_snn, cost=cost, report=write_snn_report, summary_lines=summary_lines,
    check_options=_check_engine,
))
