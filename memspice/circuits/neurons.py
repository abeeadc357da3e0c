"""Integrate-and-fire neurons as behavioural ngspice blocks (issue 19, El Arrassi et al. 2022).

One neuron ``<p>`` is three capacitor nodes and three behavioural sources::

    membrane  <p>_m   C_mem to ground; the caller injects the input current into it
                      (a bit line's current copied in, or a current source); optional leak R_leak
    latch     <p>_q   1 V while the neuron fires and is refractory, 0 V otherwise (the spike output)
    timer     <p>_r   ramps 0 → 1 V in t_ref while the latch is set, discharged while it is clear

    B<p>rst   discharges the membrane, I = G_rst·V(m)·σ(max(V(q), V(q of every inhibitor)) − 0.7)
    B<p>q     the latch: I = C_l/τ_l·(target − V(q)), target = max(σ(V(m) − V_th),
              σ(V(q) − 0.3)·(1 − σ(V(r) − 1))): set by the comparator, held by its own output,
              cleared when the timer reaches 1 V
    B<p>r     the timer: I = C_l·(σ(V(q) − 0.3)/t_ref − V(r)·σ(0.15 − V(q))/τ_r)

σ is a smooth step ``½(1 + tanh(z/w))`` (a hard ``u()`` stalls the time step). A constant input
current I charges the membrane to V_th in C·V_th/I, the latch sets (in a few τ_l), the reset
switch holds the membrane at 0 for t_ref and releases it: the firing rate is
``1 / (C·V_th/I + t_ref)`` (no leak). With a leak R the charging time is
``−R·C·ln(1 − V_th/(I·R))`` (no firing for I·R ≤ V_th). Lateral inhibition (winner-take-all):
each neuron's reset switch also closes while any neuron of ``inhibitors`` fires, so the first
neuron to fire resets the others' membranes.

The comparator, latch and timer are behavioural (normalised 0-1 V logic nodes), so these
neurons run in ngspice only (VACASK has no B-sources); they draw no modelled supply energy.
The energy a neuron takes is what charges its membrane (counted by the caller's input source).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from memspice.errors import ParameterError
from memspice.netlist import BehaviouralSource, Capacitor, Expr, Netlist, Resistor, check_name, check_node
from memspice.validation import finite_number

#: Capacitance (F) of the normalised logic nodes (latch, timer): only their time constants matter.
LOGIC_CAPACITANCE_F = 1e-12
#: Netlist options the neurons want: Gear integration. The trapezoid rule rings (tens of mV
#: below 0 on the membrane) when the 10 ps-scale reset and latch edges meet ns time steps.
NEURON_OPTIONS: dict[str, str] = {"method": "gear"}
#: Width (V) of the comparator's smooth step on the membrane voltage.
COMPARATOR_WIDTH_V = 1e-3
#: The latch holds itself from this level (V) and closes the reset switch from the higher
#: ``RESET_LEVEL_V``: a latch that the comparator has half set snaps to 1 V before the reset
#: starts to discharge the membrane (a reset that grew with the latch would hold the membrane
#: just under V_th, balancing the input current, and the neuron would never fire).
HOLD_LEVEL_V = 0.3
RESET_LEVEL_V = 0.7
#: The timer discharges once the latch is below this level (V).
TIMER_RESET_LEVEL_V = 0.15
#: Width (V) of the logic steps on the latch node.
LOGIC_WIDTH_V = 0.02


def smooth_step(argument: str, width: float) -> str:
    """``½(1 + tanh((argument)/width))``: a unit step smoothed over ``width`` (ngspice B-source text)."""
    return f"0.5*(1+tanh(({argument})/{width!r}))"


@dataclass(frozen=True)
class NeuronDesign:
    """An integrate-and-fire neuron (SI units).

    capacitance_F: membrane capacitance C; v_threshold_V: firing threshold V_th;
    refractory_s: t_ref, how long the membrane is held at 0 after a spike (the latch's high
    time); leak_resistance_ohm: membrane leak R (0: no leak); reset_conductance_S: the reset
    switch's on conductance (C/G_rst ≪ t_ref); latch_time_s: τ_l of the latch (≪ the spike period).
    """

    capacitance_F: float = 1e-12
    v_threshold_V: float = 0.5
    refractory_s: float = 50e-9
    leak_resistance_ohm: float = 0.0
    reset_conductance_S: float = 1e-2
    latch_time_s: float = 20e-12

    def __post_init__(self) -> None:
        finite_number(self.capacitance_F, "capacitance_F", low=0, unit=" F")
        finite_number(self.v_threshold_V, "v_threshold_V", low=0, unit=" V")
        finite_number(self.refractory_s, "refractory_s", low=0, unit=" s")
        finite_number(self.leak_resistance_ohm, "leak_resistance_ohm", low=0, strict=False, unit=" Ω")
        finite_number(self.reset_conductance_S, "reset_conductance_S", low=0, unit=" S")
        finite_number(self.latch_time_s, "latch_time_s", low=0, unit=" s")
        if self.capacitance_F / self.reset_conductance_S > 0.1 * self.refractory_s:
            raise ParameterError(f"reset time C/G_rst = {self.capacitance_F / self.reset_conductance_S:g} s must be "
                                 f"below a tenth of refractory_s = {self.refractory_s:g} s")
        if self.latch_time_s > 0.01 * self.refractory_s:
            raise ParameterError(f"latch_time_s = {self.latch_time_s:g} s must be below a hundredth of "
                                 f"refractory_s = {self.refractory_s:g} s")

    def charging_time_s(self, current_A: float) -> float:
        """Time (s) a constant ``current_A`` takes to charge the membrane from 0 to V_th
        (``math.inf`` if it never does: I ≤ 0, or I·R ≤ V_th with a leak)."""
        if current_A <= 0:
            return math.inf
        if not self.leak_resistance_ohm:
            return self.capacitance_F * self.v_threshold_V / current_A
        if current_A * self.leak_resistance_ohm <= self.v_threshold_V:
            return math.inf
        tau = self.leak_resistance_ohm * self.capacitance_F
        return -tau * math.log(1.0 - self.v_threshold_V / (current_A * self.leak_resistance_ohm))

    def rate_hz(self, current_A: float) -> float:
        """Closed-form firing rate (Hz) under a constant input current: 1 / (charging time + t_ref)."""
        return 1.0 / (self.charging_time_s(current_A) + self.refractory_s)


@dataclass(frozen=True)
class NeuronNodes:
    """Where a neuron is: membrane, latch (spike output, 1 V while firing) and timer nodes (lower-case)."""

    name: str
    membrane: str
    spike: str
    timer: str


def neuron_nodes(name: str) -> NeuronNodes:
    """The node names :func:`add_if_neuron` gives neuron ``name``."""
    prefix = check_name(name, what="neuron name").lower()
    return NeuronNodes(prefix, f"{prefix}_m", f"{prefix}_q", f"{prefix}_r")


def add_if_neuron(netlist: Netlist, name: str, design: NeuronDesign, *,
                  inhibitors: Sequence[str] = ()) -> NeuronNodes:
    """Add integrate-and-fire neuron ``name`` (see the module docstring) to ``netlist``.

    ``inhibitors`` are the spike (latch) nodes of the neurons whose firing also resets this
    one's membrane (lateral inhibition). Every capacitor starts at 0 V (``ic=0``, for
    ``Tran(uic=True)``). The input current goes into ``NeuronNodes.membrane``. Sets the
    netlist's :data:`NEURON_OPTIONS`; a maximum time step of a few latch times keeps the
    spike times to 0.1 % (tests/test_snn.py).
    """
    netlist.options.update(NEURON_OPTIONS)
    nodes = neuron_nodes(name)
    p = nodes.name
    inhibit = f"v({nodes.spike})"
    for node in inhibitors:
        inhibit = f"max({inhibit},v({check_node(node).lower()}))"
    c_logic = LOGIC_CAPACITANCE_F
    tau_timer = 10 * design.latch_time_s  # slower than the latch, so the latch clears before the timer falls
    comparator = smooth_step(f"v({nodes.membrane})-{design.v_threshold_V!r}", COMPARATOR_WIDTH_V)
    hold = smooth_step(f"v({nodes.spike})-{HOLD_LEVEL_V!r}", LOGIC_WIDTH_V)
    clear = smooth_step(f"v({nodes.timer})-1", 2e-3)
    # The timer ramps at 1/t_ref while the latch holds and keeps ramping while the latch falls
    # (so the clear stays asserted until the latch is below its hold level: no half-cleared
    # state); it discharges only once the latch is low. A discharge that grew with 1 − V(q)
    # balanced the ramp just under 1 V.
    latched = smooth_step(f"v({nodes.spike})-{HOLD_LEVEL_V!r}", LOGIC_WIDTH_V)
    cleared = smooth_step(f"{TIMER_RESET_LEVEL_V!r}-v({nodes.spike})", LOGIC_WIDTH_V)
    netlist.add(
        Capacitor(f"C{p}m", nodes.membrane, "0", design.capacitance_F, ic_v=0.0),
        BehaviouralSource(f"B{p}rst", nodes.membrane, "0",
                          Expr(f"{design.reset_conductance_S!r}*v({nodes.membrane})*{smooth_step(inhibit + f'-{RESET_LEVEL_V!r}', LOGIC_WIDTH_V)}")),
        Capacitor(f"C{p}q", nodes.spike, "0", c_logic, ic_v=0.0),
        BehaviouralSource(f"B{p}q", "0", nodes.spike, Expr(
            f"{c_logic / design.latch_time_s!r}*(max({comparator},{hold}*(1-{clear}))-v({nodes.spike}))")),
        Capacitor(f"C{p}r", nodes.timer, "0", c_logic, ic_v=0.0),
        BehaviouralSource(f"B{p}r", "0", nodes.timer, Expr(
            f"{c_logic!r}*({latched}/{design.refractory_s!r}-v({nodes.timer})*{cleared}/{tau_timer!r})")),
    )
    if design.leak_resistance_ohm:
        netlist.add(Resistor(f"R{p}leak", nodes.membrane, "0", design.leak_resistance_ohm))
    return nodes
