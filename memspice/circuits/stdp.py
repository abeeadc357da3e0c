"""Synaptic traces and STDP pulse shaping for a spiking 1T1R array (issue 19).

A **trace** is a capacitor C_tr with a resistor R_tr to ground (τ = R_tr·C_tr): each spike puts
a fixed charge on it (a current pulse of a known area during one clock phase), so it jumps by
``jump_V`` and decays as ``exp(−t/τ)``; jumps add (an all-to-all trace).

**STDP pulses** (El Arrassi et al. 2022, the LTP/LTD scheme of the issue). The synapse is a
thresholded memristor whose state rate is linear in the voltage past its threshold (VTEAM with
α = 1: dx/dt = k·(V/V_th − 1)/D), so a pulse of fixed width whose amplitude is the threshold
plus ``a`` moves the state by an amount proportional to ``a``. Every pulse is split in halves
(the V/2 idea): the half threshold on one line, the other half plus ``a`` on the other, so only
the addressed cells reach the threshold:

* LTP, on a post spike of column j (the LTP phase): bit line j at +V_th/2, every word line i at
  −(V_th/2 + a_i) with ``a_i = min(k_LTP·x_pre,i, a_max)``: cell (i, j) sees −(V_th + a_i), a SET
  whose over-threshold part follows the pre-trace; cells of the other columns see at most
  V_th/2 + a_max < V_th.
* LTD, on a pre spike of row i (the LTD phase): word line i at +V_th/2, bit line j at
  −(V_th/2 + b_j) with ``b_j = min(k_LTD·y_post,j, a_max)``: a RESET that follows the post-trace;
  rows without a spike have their transistors off.
* optional depression, on a post spike (the fourth phase): bit line j at −(V_th + d), word lines
  at 0: every cell of the firing column is RESET by the same ``d`` (homeostasis: the synapses of
  inputs that did not take part weaken; Querlioz et al., IEEE TNANO 12(3):288, 2013). 0 disables it.

Pairing the pre-trace with the post spike gives Δw ∝ exp(−Δt/τ) for Δt = t_post − t_pre ≥ 0
(potentiation) and pairing the post-trace with the pre spike gives −exp(Δt/τ) for Δt < 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from memspice.netlist import BehaviouralSource, Capacitor, Expr, Netlist, Resistor, check_name
from memspice.validation import finite_number


@dataclass(frozen=True)
class TraceDesign:
    """A trace: ``capacitance_F`` C_tr, ``tau_s`` τ = R_tr·C_tr (R_tr = τ / C_tr), ``jump_V`` per spike."""

    capacitance_F: float = 1e-12
    tau_s: float = 100e-9
    jump_V: float = 1.0

    def __post_init__(self) -> None:
        finite_number(self.capacitance_F, "capacitance_F", low=0, unit=" F")
        finite_number(self.tau_s, "tau_s", low=0, unit=" s")
        finite_number(self.jump_V, "jump_V", low=0, unit=" V")

    @property
    def resistance_ohm(self) -> float:
        """R_tr = τ / C_tr (Ω)."""
        return self.tau_s / self.capacitance_F


def add_trace(netlist: Netlist, name: str, design: TraceDesign, trigger: str, trigger_area_s: float) -> str:
    """Add trace ``name`` (node ``<name>``, capacitor ``C<name>``, resistor ``R<name>``, charging
    source ``B<name>``) to ``netlist``; return its node.

    ``trigger`` is a behavioural expression of a 0-1 V gate that is high for one spike (e.g.
    ``v(s0)*v(clkr)``) and ``trigger_area_s`` its time integral (s) per spike: the charging
    current ``C_tr·jump_V/area·trigger`` then puts ``C_tr·jump_V`` on the capacitor per spike.
    """
    node = check_name(name, what="trace name").lower()
    finite_number(trigger_area_s, "trigger_area_s", low=0, unit=" s")
    current = design.capacitance_F * design.jump_V / trigger_area_s
    netlist.add(
        Capacitor(f"C{node}", node, "0", design.capacitance_F, ic_v=0.0),
        Resistor(f"R{node}", node, "0", design.resistance_ohm),
        BehaviouralSource(f"B{node}", "0", node, Expr(f"{current!r}*({trigger})")),
    )
    return node


@dataclass(frozen=True)
class StdpDesign:
    """The learning pulses (SI units; see the module docstring).

    device_threshold_V: |V_th| of the memristor (both polarities), split in halves on the lines;
    ltp_gain: k_LTP, volts of SET over-threshold amplitude per volt of pre-trace;
    ltd_gain: k_LTD, volts of RESET over-threshold amplitude per volt of post-trace;
    max_over_threshold_V: a_max, the clamp of both amplitudes (cells of other lines see at most
    V_th/2 + a_max, below V_th); depression_V: d, the RESET over-threshold amplitude given to every
    cell of a firing column (0: none); gate_V: the gate-line level while a row is addressed.
    """

    device_threshold_V: float = 1.4
    ltp_gain: float = 0.3
    ltd_gain: float = 0.3
    max_over_threshold_V: float = 0.6
    depression_V: float = 0.0
    gate_V: float = 3.3

    def __post_init__(self) -> None:
        finite_number(self.device_threshold_V, "device_threshold_V", low=0, unit=" V")
        finite_number(self.ltp_gain, "ltp_gain", low=0, strict=False)
        finite_number(self.ltd_gain, "ltd_gain", low=0, strict=False)
        finite_number(self.max_over_threshold_V, "max_over_threshold_V", low=0, unit=" V")
        finite_number(self.depression_V, "depression_V", low=0, strict=False, unit=" V")
        finite_number(self.gate_V, "gate_V", low=0, unit=" V")

    @property
    def half_V(self) -> float:
        """V_th/2, the half of every learning pulse on the line that addresses it."""
        return self.device_threshold_V / 2

    def ltp_amplitude(self, trace: str) -> str:
        """Over-threshold SET amplitude (V) as an expression of a pre-trace expression."""
        return f"min({self.ltp_gain!r}*max({trace},0),{self.max_over_threshold_V!r})"

    def ltd_amplitude(self, trace: str) -> str:
        """Over-threshold RESET amplitude (V) as an expression of a post-trace expression."""
        return f"min({self.ltd_gain!r}*max({trace},0),{self.max_over_threshold_V!r})"
