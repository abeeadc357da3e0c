"""Column readout: transimpedance and integrating amplifiers, differential pairs, an ADC step.

A readout block attaches to nodes that carry a column current into it, normally the
bottom end nodes of a crossbar's bit lines: build the crossbar with
``bit_lines=[External()] * cols`` (the end segment is written to ``bb<j>`` but no 0 V sink)
and pass :func:`bit_line_ends` to :func:`add_tia`. The op-amp's inverting input is that
node, so the bit line sits at a virtual ground (at ``reference_V``) as it did with the
0 V sink, and the column current I (positive from the array into the readout) flows
through the feedback element.

A block returns :class:`ReadoutNodes` (where its outputs are); the readers of a run's
outputs, :func:`~memspice.analysis.readout.readout_voltages` and the ideal sample-and-hold
:func:`~memspice.analysis.readout.sample_readout`, live in :mod:`memspice.analysis.readout`.

Resistive TIA (:class:`ResistiveTia`)::

    column j ── in_j ──┬── R_f ──┐             V_out = V_ref − R_f·I             (ideal op-amp)
                       └─ (−) A ─┴── out_j     V_out = V_ref − R_f·I·A/(1 + A + R_f·G_s)
             V_ref ──── (+)                              (finite DC gain A, offset 0)

``G_s`` is the conductance from ``in_j`` to (AC) ground outside the feedback path: for
a zero-resistance crossbar column, the sum of the column's cell conductances. Derivation:
KCL at the inverting node x with ``out = −A·x`` (V_ref = 0) and ``I = Σ G_i·V_i`` (the
current into a perfect virtual ground): ``Σ G_i·V_i − G_s·x + (out − x)/R_f = 0``.
With an input offset V_os (ideal gain) the inverting node sits at V_os:
``V_out = V_os·(1 + R_f·G_s) − R_f·I``.

Integrating TIA (:class:`IntegratingTia`): the feedback element is a capacitor C with a
reset switch across it (a behavioural conductance ``g_off + (g_on − g_off)·σ(V(rst))``
driven by one reset source per block, ``V<prefix>rst``, 1 V = closed). Timing of cycle k
(period ``P = reset_s + integration_s + 2·edge_s``)::

    [k·P, k·P + reset_s]                       reset closed: C discharged (V_out = V_ref − I·R_on)
    reset opens over edge_s
    window k = [k·P + reset_s + edge_s, + integration_s]   integrate: V_out(t) = V_ref − (1/C)∫ I dt
    reset closes over edge_s, ending at (k + 1)·P

Sample at the end of a window (:meth:`IntegratingTia.window_s`). Inputs should be zero
outside the windows (pulse-width and bit-serial encodings are): a current during reset
leaves ``−I·R_on`` on C at the start of the window.

Non-ideal integrators (measured on a 4 × 3 array, 10 pF, 0.5 µs input pulse, 1 µs window):
a finite DC gain A makes the integrator leak with time constant ``C·(1 + A)/G_s``
(A = 1e4: −0.14 … −0.20 %); a finite GBW lifts the virtual ground during the ramp by
about ``I/(2π·GBW·C)``, which lowers the cell currents by ``G_s·V_x/I`` (GBW = 100 MHz:
−2.7 … −3.9 %).

Differential pair (:func:`add_differential`): one TIA (resistive or integrating) on the
G⁺ column, one on the G⁻ column, and a four-resistor difference amplifier::

    out⁺ ── R1 ──┬── R2 ──┐
                 └─ (−) A ┴── out_j       V_out = V_ref + (R2/R1)·(out⁻ − out⁺)
    out⁻ ── R1 ──┬─ (+)                          = V_ref + (R2/R1)·R_f·(I⁺ − I⁻)   (resistive)
                 └── R2 ── V_ref                 = V_ref + (R2/R1)·(1/C)·∫(I⁺ − I⁻) dt (integrating)

(the G⁺ TIA feeds the inverting side, so the output grows with I⁺ − I⁻).

ADC: :func:`adc_codes` is an N-bit uniform quantiser applied to sampled waveform values in
Python (a behavioural, instantaneous sample-and-quantise; no SPICE element).

Names (all start with ``prefix``; column index j)
-------------------------------------------------
=====================  ===========================================================
``X<p>amp<j>``         op-amp of column j (its output current: ``i(x<p>amp<j>.vsense)_A``)
``<p>out<j>``          output node of column j (the result: ``v(<p>out<j>)_V``)
``R<p>f<j>``           feedback resistor (resistive TIA)
``C<p>f<j>``, ``B<p>sw<j>``  feedback capacitor and its reset switch (integrating TIA)
``<p>rst``, ``V<p>rst``      reset node and source (integrating TIA, shared by the block)
``<p>ref``, ``V<p>ref``      reference node and source (only when ``reference_V != 0``)
=====================  ===========================================================

:func:`add_differential` with prefix ``p`` uses ``<p>p`` and ``<p>n`` for the two TIAs and
names the difference amplifiers ``X<p>amp<j>`` with outputs ``<p>out<j>``, inner nodes
``<p>dm<j>``/``<p>dp<j>`` and resistors ``R<p>a<j>``, ``R<p>b<j>``, ``R<p>c<j>``, ``R<p>d<j>``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from memspice.errors import NetlistError, ParameterError
from memspice.netlist import (
    BehaviouralSource,
    Capacitor,
    Dc,
    Expr,
    Netlist,
    Pulse,
    Resistor,
    SubcircuitInstance,
    VoltageSource,
    check_node,
)
from memspice.spicelib.opamp import OpAmp, opamp_subcircuit
from memspice.validation import finite_number

if TYPE_CHECKING:
    from memspice.circuits.crossbar import CrossbarNodes

_PREFIX_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
#: Reset-switch control threshold and transition width (V) on the 0 V / 1 V reset node.
_RESET_THRESHOLD_V = 0.5
_RESET_WIDTH_V = 0.02
AdcMode = Literal["mid-tread", "mid-rise"]


def _check_opamp(owner: str, opamp: object) -> None:
    if not isinstance(opamp, OpAmp):
        raise ParameterError(f"{owner}.opamp={opamp!r} is not allowed; use an OpAmp (e.g. OpAmp.ideal())")


@dataclass(frozen=True)
class ResistiveTia:
    """Inverting transimpedance amplifier: ``V_out = reference_V − feedback_ohm·I`` (ideal).

    Attributes
    ----------
    feedback_ohm:
        Feedback resistance R_f (Ω, > 0).
    opamp:
        The op-amp model (default ideal).
    reference_V:
        Voltage of the non-inverting input, hence of the virtual ground (V).
    """

    feedback_ohm: float
    opamp: OpAmp = field(default_factory=OpAmp.ideal)
    reference_V: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "feedback_ohm", finite_number(self.feedback_ohm, "ResistiveTia.feedback_ohm", low=0.0, unit=" Ω"))
        _check_opamp("ResistiveTia", self.opamp)
        object.__setattr__(self, "reference_V", finite_number(self.reference_V, "ResistiveTia.reference_V", unit=" V"))

    def ideal_output_V(self, current_A: np.ndarray | float) -> np.ndarray:
        """``reference_V − R_f·I`` for column currents ``I`` (A), any shape."""
        return self.reference_V - self.feedback_ohm * np.asarray(current_A, dtype=float)

    def expected_output_V(self, current_A: np.ndarray | float, source_conductance_S: np.ndarray | float) -> np.ndarray:
        """DC output with the op-amp's finite gain A and offset V_os (module docstring):
        ``V_ref + (V_os·(1 + R_f·G_s) − R_f·I)·A/(1 + A + R_f·G_s)``; ``I`` (A) is the current
        into a perfect virtual ground, ``G_s`` (S) the conductance seen from the input."""
        current = np.asarray(current_A, dtype=float)
        g_s = np.asarray(source_conductance_S, dtype=float)
        a, r_f = self.opamp.gain, self.feedback_ohm
        k = a / (1.0 + a + r_f * g_s)
        return self.reference_V + (self.opamp.offset_V * (1.0 + r_f * g_s) - r_f * current) * k


@dataclass(frozen=True)
class IntegratingTia:
    """Integrating amplifier with a reset switch (timing in the module docstring).

    Attributes
    ----------
    capacitance_f:
        Feedback capacitance C (F, > 0).
    integration_s:
        Length of each integration window T (s, > 0).
    reset_s:
        Length of the reset phase before each window (s, > 0); must be ≫ ``switch_on_ohm·C``.
    edge_s:
        Rise / fall time of the reset signal (s, > 0).
    opamp:
        The op-amp model (default ideal).
    switch_on_ohm, switch_off_ohm:
        Reset-switch resistance closed / open (Ω, 0 < on < off).
    reference_V:
        Voltage of the non-inverting input (V).
    """

    capacitance_f: float
    integration_s: float
    reset_s: float = 10e-9
    edge_s: float = 1e-9
    opamp: OpAmp = field(default_factory=OpAmp.ideal)
    switch_on_ohm: float = 100.0
    switch_off_ohm: float = 1e12
    reference_V: float = 0.0

    def __post_init__(self) -> None:
        for name, unit in (("capacitance_f", "F"), ("integration_s", "s"), ("reset_s", "s"), ("edge_s", "s"),
                           ("switch_on_ohm", "Ω"), ("switch_off_ohm", "Ω")):
            object.__setattr__(self, name, finite_number(getattr(self, name), f"IntegratingTia.{name}", low=0.0, unit=f" {unit}"))
        if not self.switch_on_ohm < self.switch_off_ohm:
            raise ParameterError(f"IntegratingTia.switch_on_ohm={self.switch_on_ohm!r} must be < "
                                 f"switch_off_ohm={self.switch_off_ohm!r} Ω")
        _check_opamp("IntegratingTia", self.opamp)
        object.__setattr__(self, "reference_V", finite_number(self.reference_V, "IntegratingTia.reference_V", unit=" V"))

    @property
    def period_s(self) -> float:
        """One reset + integrate cycle: ``reset_s + integration_s + 2·edge_s`` (s)."""
        return self.reset_s + self.integration_s + 2 * self.edge_s

    def window_s(self, cycle: int = 0) -> tuple[float, float]:
        """``(start, end)`` of integration window ``cycle`` (s); sample the output at ``end``."""
        if isinstance(cycle, bool) or not isinstance(cycle, (int, np.integer)) or cycle < 0:
            raise ParameterError(f"cycle={cycle!r} is not allowed; use an integer >= 0")
        start = cycle * self.period_s + self.reset_s + self.edge_s
        return start, start + self.integration_s

    def reset_waveform(self) -> Pulse:
        """The reset source: 1 V (closed) during reset, 0 V (open) during each window, periodic."""
        return Pulse(initial=1.0, pulsed=0.0, delay_s=self.reset_s, rise_s=self.edge_s, fall_s=self.edge_s,
                     width_s=self.integration_s, period_s=self.period_s)

    def ideal_output_V(self, charge_C: np.ndarray | float) -> np.ndarray:
        """``reference_V − Q/C`` for the charge ``Q = ∫ I dt`` (C) over a window, any shape."""
        return self.reference_V - np.asarray(charge_C, dtype=float) / self.capacitance_f


Readout = ResistiveTia | IntegratingTia


@dataclass(frozen=True)
class DifferenceAmp:
    """Four-resistor difference amplifier: ``V_out = V_ref + (R2/R1)·(V⁻ − V⁺)``.

    Attributes
    ----------
    input_ohm, feedback_ohm:
        R1 and R2 (Ω, > 0); the gain is R2/R1.
    opamp:
        The op-amp model (default ideal).
    """

    input_ohm: float = 10e3
    feedback_ohm: float = 10e3
    opamp: OpAmp = field(default_factory=OpAmp.ideal)

    def __post_init__(self) -> None:
        for name in ("input_ohm", "feedback_ohm"):
            object.__setattr__(self, name, finite_number(getattr(self, name), f"DifferenceAmp.{name}", low=0.0, unit=" Ω"))
        _check_opamp("DifferenceAmp", self.opamp)

    @property
    def gain(self) -> float:
        """R2/R1 (V/V)."""
        return self.feedback_ohm / self.input_ohm


@dataclass(frozen=True)
class ReadoutNodes:
    """Where a readout block lives in a netlist.

    Attributes
    ----------
    inputs:
        Per column, the node the column current flows into (tuples of pairs ``(plus, minus)``
        for a differential block).
    outputs:
        Per column, the output node (lower-case).
    amplifiers:
        Per column, the op-amp instance whose output is ``outputs[j]`` (lower-case).
    reset_sources:
        Names of the reset sources (lower-case): none for resistive TIAs, one per
        integrating TIA block (two for a differential pair).
    """

    inputs: tuple
    outputs: tuple[str, ...]
    amplifiers: tuple[str, ...]
    reset_sources: tuple[str, ...] = ()


def bit_line_ends(nodes: CrossbarNodes, *, end: Literal["bottom", "top"] = "bottom") -> tuple[str, ...]:
    """The end node of every bit line (``<prefix>bb<j>`` or ``<prefix>bt<j>``) of a crossbar
    built with ``External()`` terminations there (with zero bit-line resistance: the merged line node)."""
    if end not in ("bottom", "top"):
        raise ParameterError(f"end={end!r} is not allowed; use 'bottom' or 'top'")
    if nodes.config.r_bit_ohm == 0:
        return tuple(str(node) for node in nodes.bit_nodes[0])
    tag = "bb" if end == "bottom" else "bt"
    return tuple(f"{nodes.prefix}{tag}{j}" for j in range(nodes.config.cols))


def _check_prefix(prefix: object) -> str:
    if not isinstance(prefix, str) or not _PREFIX_RE.fullmatch(prefix):
        raise ParameterError(f"prefix={prefix!r} is not allowed; use a letter then letters, digits and '_'")
    return prefix.lower()


def _check_nodes(nodes: object, what: str) -> tuple[str, ...]:
    if isinstance(nodes, str):
        raise ParameterError(f"{what} must be a sequence of node names, not one string {nodes!r}")
    try:
        names = tuple(nodes)  # type: ignore[arg-type]
    except TypeError:
        raise ParameterError(f"{what} must be a sequence of node names, not {type(nodes).__name__}") from None
    if not names:
        raise ParameterError(f"{what} is empty; give one node per column")
    for node in names:
        try:
            check_node(node)
        except NetlistError as error:
            raise ParameterError(f"{what}: {error}") from None
        if node == "0":
            raise ParameterError(f"{what} contains ground '0'; a readout input must be a column node")
    return tuple(str(node).lower() for node in names)


def _reference(netlist_items: list, p: str, reference_V: float) -> str:
    if reference_V == 0:
        return "0"
    netlist_items.append(VoltageSource(f"{p}ref", f"{p}ref", "0", Dc(reference_V)))
    return f"{p}ref"


def add_tia(netlist: Netlist, input_nodes: Sequence[str], config: Readout, *, prefix: str = "ro") -> ReadoutNodes:
    """Add one TIA (resistive or integrating) per node of ``input_nodes``; return its nodes.

    Parameters
    ----------
    netlist:
        The netlist to extend.
    input_nodes:
        ``(cols,)`` node names, each the end of a column (e.g. :func:`bit_line_ends`); it
        becomes the op-amp's inverting input (virtual ground).
    config:
        :class:`ResistiveTia` or :class:`IntegratingTia`.
    prefix:
        Prepended to every name (a letter, then letters, digits, ``_``).

    Raises
    ------
    ParameterError
        for a bad config, prefix or node list, before anything is added.
    """
    if not isinstance(config, (ResistiveTia, IntegratingTia)):
        raise ParameterError(f"config must be a ResistiveTia or IntegratingTia, not {type(config).__name__}")
    p = _check_prefix(prefix)
    nodes = _check_nodes(input_nodes, "input_nodes")
    if len(set(nodes)) != len(nodes):
        raise ParameterError(f"input_nodes {nodes!r} repeat a node; each column needs its own node")
    items: list = []
    ref = _reference(items, p, config.reference_V)
    subcircuit = opamp_subcircuit(config.opamp)
    resets: tuple[str, ...] = ()
    if isinstance(config, IntegratingTia):
        resets = (f"v{p}rst",)
        items.append(VoltageSource(f"{p}rst", f"{p}rst", "0", config.reset_waveform()))
    outputs, amplifiers = [], []
    for j, node in enumerate(nodes):
        out = f"{p}out{j}"
        items.append(SubcircuitInstance(f"{p}amp{j}", (ref, node, out), subcircuit.name))
        if isinstance(config, ResistiveTia):
            items.append(Resistor(f"{p}f{j}", node, out, config.feedback_ohm))
        else:
            g_on, g_off = 1.0 / config.switch_on_ohm, 1.0 / config.switch_off_ohm
            closed = f"0.5*(1+tanh((V({p}rst)-{_RESET_THRESHOLD_V!r})/{_RESET_WIDTH_V!r}))"
            items.append(Capacitor(f"{p}f{j}", node, out, config.capacitance_f, ic_v=0.0))
            items.append(BehaviouralSource(f"{p}sw{j}", node, out,
                                           Expr(f"V({node},{out})*({g_off!r}+{g_on - g_off!r}*{closed})")))
        outputs.append(out)
        amplifiers.append(f"x{p}amp{j}")
    netlist.define(subcircuit)
    netlist.add(*items)
    return ReadoutNodes(inputs=nodes, outputs=tuple(outputs), amplifiers=tuple(amplifiers), reset_sources=resets)


def add_differential(netlist: Netlist, plus_nodes: Sequence[str], minus_nodes: Sequence[str], config: Readout,
                     difference: DifferenceAmp | None = None, *, prefix: str = "rd") -> ReadoutNodes:
    """Differential column pairs: a TIA on each G⁺ column (``plus_nodes``) and G⁻ column
    (``minus_nodes``), and a difference amplifier per pair with output
    ``V_ref + (R2/R1)·(V_TIA⁻ − V_TIA⁺)``, i.e. ∝ I⁺ − I⁻ (module docstring).

    The two TIAs get prefixes ``<prefix>p`` and ``<prefix>n`` (their outputs
    ``<prefix>pout<j>``, ``<prefix>nout<j>``); the returned nodes describe the difference
    stage (outputs ``<prefix>out<j>``; ``inputs`` are ``(plus, minus)`` pairs). The
    difference amplifier's reference is the TIAs' ``reference_V``.
    """
    difference = DifferenceAmp() if difference is None else difference
    if not isinstance(difference, DifferenceAmp):
        raise ParameterError(f"difference must be a DifferenceAmp, not {type(difference).__name__}")
    p = _check_prefix(prefix)
    plus = _check_nodes(plus_nodes, "plus_nodes")
    minus = _check_nodes(minus_nodes, "minus_nodes")
    if len(plus) != len(minus):
        raise ParameterError(f"plus_nodes has {len(plus)} nodes and minus_nodes {len(minus)}; give one pair per output")
    if set(plus) & set(minus):
        raise ParameterError(f"plus_nodes and minus_nodes share {sorted(set(plus) & set(minus))!r}")
    tia_plus = add_tia(netlist, plus, config, prefix=f"{p}p")
    tia_minus = add_tia(netlist, minus, config, prefix=f"{p}n")
    items: list = []
    ref = "0" if config.reference_V == 0 else f"{p}nref"  # the minus TIA's reference source already exists
    subcircuit = opamp_subcircuit(difference.opamp)
    outputs, amplifiers = [], []
    for j, (v_plus, v_minus) in enumerate(zip(tia_plus.outputs, tia_minus.outputs)):
        out, dm, dp = f"{p}out{j}", f"{p}dm{j}", f"{p}dp{j}"
        items += [
            Resistor(f"{p}a{j}", v_plus, dm, difference.input_ohm),
            Resistor(f"{p}b{j}", dm, out, difference.feedback_ohm),
            Resistor(f"{p}c{j}", v_minus, dp, difference.input_ohm),
            Resistor(f"{p}d{j}", dp, ref, difference.feedback_ohm),
            SubcircuitInstance(f"{p}amp{j}", (dp, dm, out), subcircuit.name),
        ]
        outputs.append(out)
        amplifiers.append(f"x{p}amp{j}")
    netlist.define(subcircuit)
    netlist.add(*items)
    return ReadoutNodes(inputs=tuple(zip(plus, minus)), outputs=tuple(outputs),
                        amplifiers=tia_plus.amplifiers + tia_minus.amplifiers + tuple(amplifiers),
                        reset_sources=tia_plus.reset_sources + tia_minus.reset_sources)


# --------------------------------------------------------------------------- ADC


def _adc_check(bits: object, v_min: object, v_max: object, mode: object) -> tuple[int, float, float]:
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 1 <= bits <= 32:
        raise ParameterError(f"bits={bits!r} is not allowed; use an integer in [1, 32]")
    low = finite_number(v_min, "adc.v_min", unit=" V")
    high = finite_number(v_max, "adc.v_max", unit=" V")
    if not low < high:
        raise ParameterError(f"adc v_min={low!r} must be < v_max={high!r} V")
    if mode not in ("mid-tread", "mid-rise"):
        raise ParameterError(f"mode={mode!r} is not allowed; use 'mid-tread' or 'mid-rise'")
    return int(bits), low, high


def adc_lsb_V(*, bits: int, v_min: float, v_max: float) -> float:
    """One code step (V): ``(v_max − v_min) / 2**bits``."""
    bits, low, high = _adc_check(bits, v_min, v_max, "mid-tread")
    return (high - low) / 2 ** bits


def adc_codes(v: np.ndarray | float, *, bits: int, v_min: float, v_max: float,
              mode: AdcMode = "mid-tread") -> np.ndarray:
    """Quantise sampled voltages ``v`` (V, any shape) to N-bit codes ``0 … 2**bits − 1`` (int64).

    The full-scale range ``[v_min, v_max)`` is split into ``2**bits`` steps of
    ``LSB = (v_max − v_min)/2**bits``.

    * ``"mid-tread"`` (default): code k represents ``v_min + k·LSB`` (v_min is a level;
      with ``v_min = −v_max`` so is 0 V, at code ``2**(bits−1)``); ``k = round((v − v_min)/LSB)``,
      halves rounded up.
    * ``"mid-rise"``: code k represents ``v_min + (k + ½)·LSB``; ``k = floor((v − v_min)/LSB)``.

    Values beyond the range clip to code 0 or ``2**bits − 1`` (NaN raises ParameterError).
    """
    bits, low, high = _adc_check(bits, v_min, v_max, mode)
    values = np.asarray(v, dtype=float)
    if np.isnan(values).any():
        raise ParameterError("adc_codes: v contains NaN; sample the waveform inside the simulated time range")
    scaled = (values - low) / ((high - low) / 2 ** bits)
    codes = np.floor(scaled + 0.5) if mode == "mid-tread" else np.floor(scaled)
    return np.clip(codes, 0, 2 ** bits - 1).astype(np.int64)


def codes_to_volts(codes: np.ndarray | int, *, bits: int, v_min: float, v_max: float,
                   mode: AdcMode = "mid-tread") -> np.ndarray:
    """The voltage each code represents (V), the inverse of :func:`adc_codes` on its levels."""
    bits, low, high = _adc_check(bits, v_min, v_max, mode)
    array = np.asarray(codes)
    if not np.issubdtype(array.dtype, np.integer) or (array < 0).any() or (array > 2 ** bits - 1).any():
        raise ParameterError(f"codes must be integers in [0, {2 ** bits - 1}] for a {bits}-bit ADC")
    lsb = (high - low) / 2 ** bits
    return low + (array + (0.5 if mode == "mid-rise" else 0.0)) * lsb
