"""A spiking network on a 1T1R crossbar, clocked in slots of four phases (issue 19).

Rows are inputs (presynaptic), columns output neurons (postsynaptic). Cell (i, j) is a
thresholded memristor between word line i and a level-1 NMOS whose gate is gate line i and
whose source is bit line j (:class:`~memspice.circuits.cells.TransistorCells`). Every line is
driven by a behavioural voltage source through a 0 V sense source (its current is the line's
current), so one netlist does inference and on-chip learning. Time runs in slots of four
phases of ``phase_s`` each (0-1 V clock sources ``<p>clkr``, ``<p>clkd``, ``<p>clkp``,
``<p>clkh`` with ``edge_s`` edges)::

    read  an input spiking in this slot (its 0-1 V spike signal ``<p>s<i>`` high for the slot):
          gate i at gate_V, word line i at V_read, bit lines at 0 V; column j's current is
          copied into neuron j's membrane (a current conveyor, behavioural); the pre-trace of
          input i jumps
    LTD   spiking rows: word line at +V_th/2, bit line j at −(V_th/2 + k_LTD·y_j): RESET ∝ post-trace
    LTP   while any neuron fires: every gate on, word line i at −(V_th/2 + k_LTP·x_i), the firing
          column's bit line at +V_th/2: SET ∝ pre-trace; the firing neuron's post-trace jumps
    dep   while any neuron fires: every gate on, the firing column's bit line at −(V_th + d):
          the same RESET for all its cells (0 disables)

(:mod:`memspice.circuits.stdp`). Neurons (:mod:`memspice.circuits.neurons`) fire in a read
phase; their refractory time must cover the LTP and dep phases of that slot and end before the
next slot's LTP phase (4 to 5 phases), so each post spike gets one LTP and one dep pulse. The
firing neuron's latch resets the other membranes (winner-take-all) when ``inhibition``.

Names, with prefix ``p``: spike inputs ``<p>s<i>`` (sources ``V<p>s<i>``), pre-traces
``<p>xpre<i>``, post-traces ``<p>ypost<j>``, neurons ``<p>n<j>`` (:func:`neuron_nodes`), word
drivers ``B<p>wd<i>`` at ``<p>wd<i>`` with sense source ``V<p>sw<i>`` (current into the array),
bit drivers ``B<p>bd<j>`` at ``<p>bd<j>`` with sense ``V<p>sb<j>`` (current out of the array),
gate drivers ``B<p>g<i>``, membrane conveyors ``B<p>mir<j>``, teacher inputs ``<p>t<j>``.
Behavioural throughout: ngspice only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from memspice.circuits.cells import TransistorCells, state_nodes
from memspice.circuits.crossbar import CrossbarConfig, External, add_crossbar
from memspice.circuits.crossbar_cells import CellSite, MemristorCells
from memspice.circuits.neurons import NeuronDesign, NeuronNodes, add_if_neuron, neuron_nodes
from memspice.circuits.stdp import StdpDesign, TraceDesign, add_trace
from memspice.errors import ParameterError
from memspice.netlist import BehaviouralSource, Dc, Expr, Netlist, Pulse, Pwl, VoltageSource
from memspice.spicelib.nmos import AccessTransistor
from memspice.validation import finite_number

PHASES: tuple[str, ...] = ("read", "ltd", "ltp", "dep")
_CLOCK_TAGS = {"read": "clkr", "ltd": "clkd", "ltp": "clkp", "dep": "clkh"}


@dataclass(frozen=True)
class SlotClock:
    """Slots of four phases (read, LTD, LTP, dep), each ``phase_s`` long with ``edge_s`` edges (s)."""

    phase_s: float = 10e-9
    edge_s: float = 1e-9

    def __post_init__(self) -> None:
        finite_number(self.phase_s, "phase_s", low=0, unit=" s")
        finite_number(self.edge_s, "edge_s", low=0, unit=" s")
        if not self.edge_s < self.phase_s / 4:
            raise ParameterError(f"edge_s={self.edge_s:g} s must be below a quarter of phase_s={self.phase_s:g} s")

    @property
    def slot_s(self) -> float:
        return len(PHASES) * self.phase_s

    @property
    def area_s(self) -> float:
        """Time integral of one phase's 0-1 V clock pulse (s): flat top plus one edge."""
        return self.phase_s - self.edge_s

    def window_s(self, slot: int, phase: str) -> tuple[float, float]:
        """The flat top ``(start, stop)`` (s) of ``phase`` in ``slot``."""
        start = slot * self.slot_s + PHASES.index(phase) * self.phase_s
        return start + self.edge_s, start + self.phase_s - self.edge_s

    def clock(self, phase: str) -> Pulse:
        """The 0-1 V clock of ``phase``: one trapezoid per slot."""
        return Pulse(0.0, 1.0, PHASES.index(phase) * self.phase_s, self.edge_s, self.edge_s,
                     self.phase_s - 2 * self.edge_s, self.slot_s)


def spike_signal(slots: Sequence[int], clock: SlotClock) -> Pwl | Dc:
    """A 0-1 V signal high through every slot of ``slots`` (edges of edge_s/2 at the slot
    boundaries, outside every phase's flat top); ``Dc(0)`` for no spikes."""
    slots = sorted({int(s) for s in slots})
    if not slots:
        return Dc(0.0)
    if slots[0] < 0:
        raise ParameterError(f"spike slot {slots[0]} is negative")
    half, period = clock.edge_s / 2, clock.slot_s
    points: list[tuple[float, float]] = []
    for run_ in np.split(np.array(slots), np.flatnonzero(np.diff(slots) > 1) + 1):
        start, stop = float(run_[0] * period), float((run_[-1] + 1) * period)
        points += [(0.0, 1.0)] if start == 0 else [(start, 0.0), (start + half, 1.0)]
        points += [(stop - half, 1.0), (stop, 0.0)]
    if points[0][0] > 0:
        points.insert(0, (0.0, 0.0))
    return Pwl(tuple(points))


@dataclass(frozen=True)
class SpikingDesign:
    """Everything of a spiking array but its devices and inputs (SI units).

    ``v_read_V`` is the word-line level of a read; ``learning`` switches the LTD/LTP/dep pulses
    on (off: inference); ``inhibition`` the winner-take-all reset; the access transistor is
    wide (W/L = 100) so that its on-resistance (≈ 25 Ω at 3.3 V) is ≲ 0.3 % of the memristor's:
    its drop, 1 mV at a learning pulse's 40 µA, is an offset on the over-threshold amplitude.
    """

    neuron: NeuronDesign = field(default_factory=lambda: NeuronDesign(refractory_s=45e-9))
    pre_trace: TraceDesign = field(default_factory=TraceDesign)
    post_trace: TraceDesign = field(default_factory=TraceDesign)
    stdp: StdpDesign = field(default_factory=StdpDesign)
    clock: SlotClock = field(default_factory=SlotClock)
    v_read_V: float = 0.2
    learning: bool = True
    inhibition: bool = True
    transistor: AccessTransistor = field(default_factory=lambda: AccessTransistor(w_m=100e-6))

    def __post_init__(self) -> None:
        finite_number(self.v_read_V, "v_read_V", low=0, unit=" V")
        phases = self.neuron.refractory_s / self.clock.phase_s
        if not 4 <= phases < 5:
            raise ParameterError(f"refractory_s={self.neuron.refractory_s:g} s must be 4 to 5 phases "
                                 f"({4 * self.clock.phase_s:g} s to {5 * self.clock.phase_s:g} s): each post spike "
                                 "then gets one LTP and one depression phase")


@dataclass(frozen=True)
class SpikingNodes:
    """Where a spiking array is in its netlist (lower-case names; see the module docstring)."""

    prefix: str
    shape: tuple[int, int]
    neurons: tuple[NeuronNodes, ...]
    inputs: tuple[str, ...]
    pre_traces: tuple[str, ...]
    post_traces: tuple[str, ...]
    word_drivers: tuple[str, ...]
    word_senses: tuple[str, ...]
    bit_drivers: tuple[str, ...]
    bit_senses: tuple[str, ...]
    teachers: tuple[str, ...]
    clocks: dict[str, str]
    states: np.ndarray

    def saves(self) -> list[str]:
        """The vectors a run needs: states, membranes, spikes, traces, line drivers and their
        currents, clocks, spike inputs."""
        nodes = [*self.states.ravel(), *(n.membrane for n in self.neurons), *(n.spike for n in self.neurons),
                 *self.pre_traces, *self.post_traces, *self.word_drivers, *self.bit_drivers, *self.clocks.values(),
                 *self.inputs, *self.teachers]
        return [f"v({node})" for node in nodes] + [f"i({name})" for name in (*self.word_senses, *self.bit_senses)]


def _clip01(expression: str) -> str:
    return f"min(max({expression},0),1)"


def _any(terms: Sequence[str]) -> str:
    return f"min({'+'.join(terms)},1)"


def add_spiking_network(netlist: Netlist, design: SpikingDesign, cells: MemristorCells,
                        input_slots: Sequence[Sequence[int]], *, teacher_slots: Sequence[Sequence[int]] | None = None,
                        teacher_current_A: float = 0.0, prefix: str = "") -> SpikingNodes:
    """Add the clocked spiking array of ``cells`` (``(inputs, neurons)`` memristors) to ``netlist``.

    ``input_slots[i]`` lists the slots in which input i spikes. ``teacher_slots[j]`` (optional)
    the slots in which neuron j gets an extra ``teacher_current_A`` (A) during the read phase, to
    force a post spike (the STDP-window bench). Every capacitor starts at 0 V and every device
    at its state in ``cells`` (``Tran(uic=True)``).
    """
    rows, cols = cells.shape
    if len(input_slots) != rows:
        raise ParameterError(f"input_slots has {len(input_slots)} spike lists for {rows} inputs (array rows)")
    teacher_slots = teacher_slots or [[] for _ in range(cols)]
    if len(teacher_slots) != cols:
        raise ParameterError(f"teacher_slots has {len(teacher_slots)} lists for {cols} neurons (array columns)")
    p = prefix.lower()
    clock, stdp = design.clock, design.stdp
    clocks = {phase: f"{p}{tag}" for phase, tag in _CLOCK_TAGS.items()}
    for phase, node in clocks.items():
        netlist.add(VoltageSource(f"V{node}", node, "0", clock.clock(phase)))
    clk = {phase: f"v({node})" for phase, node in clocks.items()}

    inputs = tuple(f"{p}s{i}" for i in range(rows))
    for node, slots in zip(inputs, input_slots):
        netlist.add(VoltageSource(f"V{node}", node, "0", spike_signal(slots, clock)))
    teachers: tuple[str, ...] = ()
    if any(teacher_slots):
        teachers = tuple(f"{p}t{j}" for j in range(cols))
        for node, slots in zip(teachers, teacher_slots):
            netlist.add(VoltageSource(f"V{node}", node, "0", spike_signal(slots, clock)))

    spiking = [f"v({node})" for node in inputs]
    neurons = tuple(neuron_nodes(f"{p}n{j}") for j in range(cols))
    for j, nodes in enumerate(neurons):
        others = [n.spike for n in neurons if n is not nodes] if design.inhibition else []
        add_if_neuron(netlist, nodes.name, design.neuron, inhibitors=others)
    firing = [_clip01(f"v({n.spike})") for n in neurons]
    any_firing = _any(firing)
    any_spike = _any(spiking)

    pre_traces = tuple(add_trace(netlist, f"{p}xpre{i}", design.pre_trace, f"{spiking[i]}*{clk['read']}", clock.area_s)
                       for i in range(rows))
    post_traces = tuple(add_trace(netlist, f"{p}ypost{j}", design.post_trace, f"{firing[j]}*{clk['ltp']}",
                                  clock.area_s) for j in range(cols))

    half = stdp.half_V
    word_drivers, word_senses, bit_drivers, bit_senses = [], [], [], []
    gates = [f"{p}g{i}" for i in range(rows)]
    for i in range(rows):
        word = f"{design.v_read_V!r}*{spiking[i]}*{clk['read']}"
        gate = f"{spiking[i]}*{clk['read']}"
        if design.learning:
            amplitude = stdp.ltp_amplitude(f"v({pre_traces[i]})")
            word += f"+{half!r}*{spiking[i]}*{clk['ltd']}-({half!r}+{amplitude})*{clk['ltp']}*{any_firing}"
            gate = f"{spiking[i]}*({clk['read']}+{clk['ltd']})+({clk['ltp']}+{clk['dep']})*{any_firing}"
        driver, sense = f"{p}wd{i}", f"{p}sw{i}"
        netlist.add(BehaviouralSource(f"B{driver}", driver, "0", Expr(word), kind="V"),
                    VoltageSource(f"V{sense}", driver, f"{p}wl{i}", Dc(0.0)),
                    BehaviouralSource(f"B{gates[i]}", gates[i], "0", Expr(f"{stdp.gate_V!r}*({gate})"), kind="V"))
        word_drivers.append(driver)
        word_senses.append(f"v{sense}")
    for j in range(cols):
        driver, sense = f"{p}bd{j}", f"{p}sb{j}"
        bit = "0"
        if design.learning:
            amplitude = stdp.ltd_amplitude(f"v({post_traces[j]})")
            bit = f"-({half!r}+{amplitude})*{clk['ltd']}*{any_spike}+{half!r}*{clk['ltp']}*{firing[j]}"
            if stdp.depression_V:
                bit += f"-{stdp.device_threshold_V + stdp.depression_V!r}*{clk['dep']}*{firing[j]}"
        netlist.add(BehaviouralSource(f"B{driver}", driver, "0", Expr(bit), kind="V"),
                    VoltageSource(f"V{sense}", f"{p}bb{j}", driver, Dc(0.0)))
        conveyor = f"max(i(v{sense}),0)*{clk['read']}"
        if teachers:
            conveyor += f"+{teacher_current_A!r}*v({teachers[j]})*{clk['read']}"
        netlist.add(BehaviouralSource(f"B{p}mir{j}", "0", neurons[j].membrane, Expr(conveyor)))
        bit_drivers.append(driver)
        bit_senses.append(f"v{sense}")

    array = TransistorCells(cells, transistor=design.transistor, gate_nodes=gates)
    crossbar = add_crossbar(netlist, CrossbarConfig(rows, cols), array, word_lines=[External()] * rows,
                            bit_lines=[External()] * cols, prefix=p)
    site = CellSite(prefix=crossbar.prefix, word_nodes=crossbar.word_nodes, bit_nodes=crossbar.bit_nodes)
    states = state_nodes(array, site)["memristor"]
    return SpikingNodes(prefix=p, shape=(rows, cols), neurons=neurons, inputs=inputs, pre_traces=pre_traces,
                        post_traces=post_traces, word_drivers=tuple(word_drivers), word_senses=tuple(word_senses),
                        bit_drivers=tuple(bit_drivers), bit_senses=tuple(bit_senses), teachers=teachers,
                        clocks=clocks, states=states)
