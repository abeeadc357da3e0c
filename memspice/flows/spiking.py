"""Run the clocked spiking array from saved device states, in segments (issue 19).

A segment is one transient of :func:`~memspice.circuits.spiking.add_spiking_network`: the
memristors start from ``states0`` (``uic``), membranes and traces from 0 V; the input spikes
are given per slot. The run holds the device states after the segment (the saved states the
next segment starts from), the spike times of every neuron and the energy of every group of
sources. The STDP-window bench (:func:`stdp_pairs`) runs many one-synapse networks side by side
in one netlist, one pre/post spike pair each.

Behavioural neurons and drivers: ngspice only (``engine="vacask"`` is refused).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from memspice.analysis.spikes import spike_times
from memspice.circuits.spiking import SpikingDesign, SpikingNodes, add_spiking_network
from memspice.engine import Waveforms
from memspice.engine.options import RunOptions
from memspice.errors import ParameterError
from memspice.flows.array_pulses import ArrayBench
from memspice.netlist import PRINTED_VECTORS, Netlist, Tran
from memspice.spicelib.presets import SYNAPSE_DEVICE_PARAMS
from memspice.validation import finite_number, positive_int

#: Engines that run behavioural sources.
NGSPICE_ENGINES = ("auto", "shared", "subprocess")


def ngspice_engine(options: RunOptions | None) -> str:
    """The engine a spiking run uses: ``options.engine`` unless VACASK (refused: the neurons and
    drivers are B-sources, which VACASK cannot run); ``auto`` runs ngspice in-process."""
    engine = (options or RunOptions()).engine
    if engine not in NGSPICE_ENGINES:
        raise ParameterError(f"engine={engine!r} cannot run the spiking network (behavioural neurons and "
                             f"line drivers); use one of {', '.join(NGSPICE_ENGINES)}")
    return "shared" if engine == "auto" else engine


@dataclass(frozen=True)
class SpikingBench:
    """``inputs × neurons`` synapses of catalog memristor ``model`` (parameters ``params``,
    per-cell ``cell_params``) in a spiking array of ``design``; ``max_step_s`` the transient's
    largest time step (s)."""

    inputs: int
    neurons: int
    design: SpikingDesign = field(default_factory=SpikingDesign)
    model: str = "vteam"
    params: Mapping[str, Any] = field(default_factory=lambda: dict(SYNAPSE_DEVICE_PARAMS))
    cell_params: Mapping[str, np.ndarray] = field(default_factory=dict)
    max_step_s: float = 0.25e-9

    def __post_init__(self) -> None:
        positive_int(self.inputs, "inputs")
        positive_int(self.neurons, "neurons")
        finite_number(self.max_step_s, "max_step_s", low=0, unit=" s")

    @property
    def array(self) -> ArrayBench:
        """The memristor array (resolves and checks the device parameters)."""
        return ArrayBench(self.inputs, self.neurons, self.model, self.params, 0.0, self.cell_params)

    def conductance_S(self, states: np.ndarray) -> np.ndarray:
        """``(inputs, neurons)`` read conductances (S) of the memristors at ``states`` (model equations)."""
        return self.array.read_conductance(states, self.design.v_read_V)


@dataclass(frozen=True, eq=False)
class SpikingRun:
    """One simulated segment: waveforms, nodes, states before and after (clipped to the range)."""

    bench: SpikingBench
    nodes: SpikingNodes
    netlist: Netlist
    waveforms: Waveforms
    states_before: np.ndarray
    states_after: np.ndarray
    teacher_current_A: float
    wall_time_s: float

    @property
    def time_s(self) -> np.ndarray:
        return self.waveforms.column("time_s")

    @property
    def stop_s(self) -> float:
        return float(self.time_s[-1])

    def voltage(self, node: str) -> np.ndarray:
        return self.waveforms.column(f"v({node})_V")

    def spike_times_s(self) -> list[np.ndarray]:
        """Per neuron, the times (s) its latch rises through 0.5 V."""
        return [spike_times(self.time_s, self.voltage(n.spike)) for n in self.nodes.neurons]

    def state_traces(self) -> np.ndarray:
        """``(points, inputs, neurons)`` device states over the segment."""
        names = np.char.add(np.char.add("v(", self.nodes.states.astype(str)), ")_V")
        return self.waveforms.family(names)

    def energies_J(self) -> dict[str, float]:
        """Energy (J) by group, see :func:`memspice.analysis.spiking_energy.spiking_energies`."""
        from memspice.analysis.spiking_energy import spiking_energies

        return spiking_energies(self.waveforms, self.nodes, teacher_current_A=self.teacher_current_A)


def build_segment(bench: SpikingBench, states0: np.ndarray, input_slots: Sequence[Sequence[int]], slots: int, *,
                  teacher_slots: Sequence[Sequence[int]] | None = None, teacher_current_A: float = 0.0,
                  title: str = "memspice spiking segment") -> tuple[Netlist, SpikingNodes]:
    """The netlist of one segment of ``slots`` slots and its nodes."""
    positive_int(slots, "slots")
    netlist = Netlist(title=title)
    nodes = add_spiking_network(netlist, bench.design, bench.array.cells(np.asarray(states0, dtype=float)),
                                input_slots, teacher_slots=teacher_slots, teacher_current_A=teacher_current_A)
    _finish(netlist, bench, [nodes], slots)
    return netlist, nodes


def _finish(netlist: Netlist, bench: SpikingBench, nodes: Sequence[SpikingNodes], slots: int) -> None:
    stop = slots * bench.design.clock.slot_s
    netlist.analysis = Tran(step_s=bench.max_step_s, stop_s=stop, max_step_s=bench.max_step_s, uic=True)
    netlist.saves = [vector for block in nodes for vector in block.saves()]
    # `ngspice -b` runs a transient only with something to print: membranes, spikes, states.
    first = nodes[0]
    printed = [*(n.membrane for n in first.neurons), *(n.spike for n in first.neurons), *first.states.ravel()]
    netlist.print_vectors = [f"v({node})" for node in printed[:PRINTED_VECTORS]]


def run_segment(bench: SpikingBench, states0: np.ndarray, input_slots: Sequence[Sequence[int]], slots: int, *,
                teacher_slots: Sequence[Sequence[int]] | None = None, teacher_current_A: float = 0.0,
                options: RunOptions | None = None, name: str = "segment") -> SpikingRun:
    """Simulate one segment from ``states0`` (``(inputs, neurons)`` model states)."""
    from memspice.engine.runner import run

    engine = ngspice_engine(options)
    options = options or RunOptions()
    states0 = bench.array.clip_states(np.asarray(states0, dtype=float))
    netlist, nodes = build_segment(bench, states0, input_slots, slots, teacher_slots=teacher_slots,
                                   teacher_current_A=teacher_current_A,
                                   title=f"memspice snn {name}: {bench.inputs}x{bench.neurons} 1T1R {bench.model}, "
                                         f"{slots} slots")
    started = time.perf_counter()
    waveforms = run(netlist, backend=engine, timeout_s=options.timeout_s, name=name)
    names = np.char.add(np.char.add("v(", nodes.states.astype(str)), ")_V")
    after = bench.array.clip_states(waveforms.family(names, point=-1))
    return SpikingRun(bench=bench, nodes=nodes, netlist=netlist, waveforms=waveforms, states_before=states0,
                      states_after=after, teacher_current_A=teacher_current_A,
                      wall_time_s=time.perf_counter() - started)


@dataclass(frozen=True)
class StdpPairs:
    """Simulated pre/post pairs: ``dt_s`` = t_post − t_pre (s, slot multiples), the state change
    ``dx`` and conductance change ``dg_S`` (S) of each pair's synapse from ``state0``, and the
    pre-only and post-only (unpaired) changes; the R·C of the pre-trace (sets the LTP side) and
    of the post-trace (the LTD side); ``post_spikes`` the spikes of every network's neuron (pairs,
    then pre-only, post-only: 1 each but 0 for pre-only when the bench works)."""

    dt_s: np.ndarray
    dx: np.ndarray
    dg_S: np.ndarray
    unpaired_dg_S: dict[str, float]
    state0: float
    tau_pre_rc_s: float
    tau_post_rc_s: float
    post_spikes: tuple[int, ...]
    netlist_text: str
    wall_time_s: float
    simulated_s: float


def stdp_pairs(bench: SpikingBench, *, max_slots: int = 8, state0: float = 0.5, teacher_current_A: float | None = None,
               options: RunOptions | None = None) -> StdpPairs:
    """One pre spike and one forced post spike (a teacher current in the post neuron's read
    phase) per one-synapse network, Δt = −max_slots … +max_slots slots, plus a pre-only and a
    post-only network, all in one netlist (networks ``p<k>_``), from the same state ``state0``.
    The pairs run without the depression phase (the pairwise window of the LTP/LTD circuits);
    the unpaired networks with the design as given (post-only: the depression per post spike).

    ``bench`` gives the design and the device; its size is ignored (each network is 1 × 1).
    The teacher current defaults to 4·C·V_th per read phase, so the post spike comes early in
    its slot's read phase whatever the membrane. ``post_spikes`` counts each network's spikes.
    """
    from memspice.engine.runner import run

    engine = ngspice_engine(options)
    options = options or RunOptions()
    positive_int(max_slots, "max_slots")
    one = SpikingBench(1, 1, bench.design, bench.model, bench.params, {}, bench.max_step_s)
    neuron = one.design.neuron
    if teacher_current_A is None:
        teacher_current_A = 4 * neuron.capacitance_F * neuron.v_threshold_V / one.design.clock.area_s
    first = max_slots + 1
    shifts = list(range(-max_slots, max_slots + 1))
    programs = [([[first]], [[first + dt]]) if dt >= 0 else ([[first - dt]], [[first]]) for dt in shifts]
    programs += [([[first]], [[]]), ([[]], [[first]])]
    netlist = Netlist(title=f"memspice snn STDP window: {len(programs)} one-synapse networks, {bench.model}")
    cells = one.array.cells(np.full((1, 1), state0))
    # The pairs measure the LTP/LTD circuits alone; the depression of a firing column (a
    # constant per post spike) is measured by the post-only network, with the design as given.
    pairwise = dataclasses.replace(one.design, stdp=dataclasses.replace(one.design.stdp, depression_V=0.0))
    blocks = [add_spiking_network(netlist, pairwise if k < len(shifts) else one.design, cells, pre, teacher_slots=post,
                                  teacher_current_A=teacher_current_A, prefix=f"p{k}_")
              for k, (pre, post) in enumerate(programs)]
    slots = first + 2 * max_slots + 3
    _finish(netlist, one, blocks, slots)
    started = time.perf_counter()
    waveforms = run(netlist, backend=engine, timeout_s=options.timeout_s, name="stdp_window")
    wall = time.perf_counter() - started
    time_s = waveforms.column("time_s")
    spikes = tuple(int(spike_times(time_s, waveforms.column(f"v({b.neurons[0].spike})_V")).size) for b in blocks)
    dx = np.array([waveforms.column(f"v({b.states[0, 0]})_V")[-1] - state0 for b in blocks])
    g0 = float(one.conductance_S(np.full((1, 1), state0))[0, 0])
    dg = np.array([float(one.conductance_S(np.full((1, 1), state0 + d))[0, 0]) - g0 for d in dx])
    return StdpPairs(dt_s=np.array(shifts) * one.design.clock.slot_s, dx=dx[:-2], dg_S=dg[:-2],
                     unpaired_dg_S={"pre_only": float(dg[-2]), "post_only": float(dg[-1])}, state0=state0,
                     tau_pre_rc_s=one.design.pre_trace.tau_s, tau_post_rc_s=one.design.post_trace.tau_s,
                     post_spikes=spikes, netlist_text=waveforms.netlist_text, wall_time_s=wall,
                     simulated_s=slots * one.design.clock.slot_s)


def conductance_table(bench: SpikingBench, points: int = 257) -> tuple[np.ndarray, np.ndarray]:
    """``(x, G)``: states ``(points,)`` across the model's range and each cell's read
    conductance there, ``(points, inputs, neurons)`` (S), from the model's own equations."""
    from memspice.spicelib import get_model

    model = get_model(bench.model)
    low, high = model.parameter(model.state_initial).bounds
    x = np.linspace(low, high, points)
    shape = (bench.inputs, bench.neurons)
    return x, np.stack([bench.conductance_S(np.full(shape, value)) for value in x])


def quantise_states(bench: SpikingBench, table: tuple[np.ndarray, np.ndarray], states: np.ndarray, levels: int,
                    rng: np.random.Generator | None = None) -> np.ndarray:
    """``states`` moved to the nearest of ``levels`` conductances equally spaced between each
    cell's lowest and highest conductance (``table`` from :func:`conductance_table`). With
    ``rng`` the rounding is stochastic (up with the probability of the distance to the level
    below, so a change smaller than a level survives on average); without, to the nearest.
    The state of each level is found on the table, then refined by Newton steps on the model's
    own G(x), so the conductances land on the levels to ~1e-12."""
    x, g = table
    positive_int(levels, "levels")
    states = np.asarray(states, dtype=float)
    g_low, g_high = g.min(axis=0), g.max(axis=0)
    position = (bench.conductance_S(states) - g_low) / (g_high - g_low) * (levels - 1)
    below = np.floor(position)
    up = (rng.random(states.shape) < position - below) if rng is not None else (position - below >= 0.5)
    target = g_low + np.minimum(below + up, levels - 1) * (g_high - g_low) / (levels - 1)
    out = np.empty_like(states)
    for index in np.ndindex(states.shape):
        column = g[(slice(None), *index)]
        order = np.argsort(column)
        out[index] = np.interp(target[index], column[order], x[order])
    low, high = x[0], x[-1]
    step = 1e-6 * (high - low)
    for _ in range(4):
        now = bench.conductance_S(out)
        slope = (bench.conductance_S(np.clip(out + step, low, high)) - bench.conductance_S(np.clip(out - step, low, high))) \
            / (np.clip(out + step, low, high) - np.clip(out - step, low, high))
        out = np.clip(out - (now - target) / slope, low, high)
    return out
