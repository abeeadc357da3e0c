"""Operational-amplifier macro-model for the readout periphery: an ngspice subcircuit.

Pins ``inp inn out``. Two variants, both built from behavioural sources (ngspice only;
VACASK has no B-source and no Verilog-A twin is provided):

Ideal (:meth:`OpAmp.ideal`)::

    Bamp outi 0 V=1e9*(V(inp)-V(inn))          a VCVS of gain 1e9, no pole, no limits
    Vsense outi out 0                          senses the output current

Finite (``OpAmp(gain=A0, gbw_hz=..., ...)``), a one-pole Boyle-style macro-model::

    Bgm   0 pole I=A0*(V(inp)-V(inn)+offset)   transconductance 1 S·A0 into ...
    Rpole pole 0 1                             ... 1 Ω ∥ Cpole: V(pole) = A0·v_d/(1 + s/ω_p)
    Cpole pole 0 1/(2π·f_p),  f_p = gbw_hz/A0  (unity-gain frequency = gbw_hz)
    Bamp  outi 0 V=clamp(V(pole))              output swing limits (smooth, see below)
    Vsense outi out 0

The swing clamp is ``clamp(x) = v_min + sp(x − v_min) − sp(x − v_max)`` with the smooth
ramp ``sp(u) = (u + |u|)/2 + w·ln(1 + exp(−|u|/w))``, ``w = 1e-3·(v_max − v_min)``: it is
linear (slope 1, error below w·e^(−d/w)) more than a few w inside the rails, so the
closed-loop gain is exactly the linear one there, and it saturates smoothly at the rails
(no exp overflow: the argument of exp is never positive). Without limits (``None``) the
output is unbounded.

The input offset ``offset_V`` is a voltage in series with the non-inverting input
(``V(out) = A·(V(inp) + offset_V − V(inn))``). Inputs draw no current; the output is an
ideal voltage source (no output resistance, no quiescent supply current). ``Vsense``
makes the current the amplifier delivers into ``out`` a result column
``i(<instance>.vsense)_A``; :mod:`memspice.analysis.energy` uses it for the energy the
output stage delivers.

The model is the textbook single-pole op-amp (Boyle, Cohn, Pederson & Solomon, "Macromodeling
of integrated circuit operational amplifiers", IEEE JSSC 9(6):353, 1974, reduced to its gain
stage, dominant pole and output limiter).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import ClassVar

from memspice.errors import ParameterError
from memspice.netlist import BehaviouralSource, Capacitor, Dc, Expr, Resistor, SubcircuitDefinition, VoltageSource
from memspice.validation import finite_number

#: Pins of every op-amp subcircuit, in instance order.
OPAMP_PINS = ("inp", "inn", "out")
#: Name of the 0 V output-current sense source inside every op-amp subcircuit.
SENSE_SOURCE = "vsense"
#: Every op-amp subcircuit's name starts with this.
SUBCIRCUIT_STEM = "memspice_opamp"
#: Gain of the ideal variant.
IDEAL_GAIN = 1e9
#: Width of the smooth swing clamp, relative to the swing (see the module docstring).
CLAMP_WIDTH = 1e-3


@dataclass(frozen=True)
class OpAmp:
    """An op-amp's macro-model parameters (SI units).

    Attributes
    ----------
    gain:
        Open-loop DC gain A0 (V/V, >= 1); ideal: 1e9.
    gbw_hz:
        Gain-bandwidth product (Hz, > 0): the open-loop pole is at ``gbw_hz / gain``.
        ``None``: no pole (gain flat at all frequencies).
    v_out_min_V, v_out_max_V:
        Output swing limits (V); both or neither (``None``: unbounded), ``min < max``.
    offset_V:
        Input offset voltage (V), in series with the non-inverting input.
    """

    gain: float = IDEAL_GAIN
    gbw_hz: float | None = None
    v_out_min_V: float | None = None
    v_out_max_V: float | None = None
    offset_V: float = 0.0

    owner: ClassVar[str] = "OpAmp"

    def __post_init__(self) -> None:
        object.__setattr__(self, "gain", finite_number(self.gain, f"{self.owner}.gain", low=1.0, strict=False, unit=" V/V"))
        if self.gbw_hz is not None:
            object.__setattr__(self, "gbw_hz", finite_number(self.gbw_hz, f"{self.owner}.gbw_hz", low=0.0, unit=" Hz"))
        if (self.v_out_min_V is None) != (self.v_out_max_V is None):
            raise ParameterError(f"OpAmp.v_out_min_V={self.v_out_min_V!r}, v_out_max_V={self.v_out_max_V!r}: "
                                 "give both swing limits or neither")
        if self.v_out_min_V is not None:
            low = finite_number(self.v_out_min_V, f"{self.owner}.v_out_min_V", unit=" V")
            high = finite_number(self.v_out_max_V, f"{self.owner}.v_out_max_V", unit=" V")
            if not low < high:
                raise ParameterError(f"OpAmp.v_out_min_V={low!r} must be < v_out_max_V={high!r} V")
            object.__setattr__(self, "v_out_min_V", low)
            object.__setattr__(self, "v_out_max_V", high)
        object.__setattr__(self, "offset_V", finite_number(self.offset_V, f"{self.owner}.offset_V", unit=" V"))

    @classmethod
    def ideal(cls) -> OpAmp:
        """Gain 1e9, no pole, no swing limits, no offset."""
        return cls()

    @property
    def is_ideal(self) -> bool:
        return self == OpAmp.ideal()

    @property
    def pole_hz(self) -> float | None:
        """The open-loop pole ``gbw_hz / gain`` (Hz), or None."""
        return None if self.gbw_hz is None else self.gbw_hz / self.gain

    @property
    def subcircuit_name(self) -> str:
        """``memspice_opamp_ideal`` or ``memspice_opamp_<hash of the parameters>``."""
        if self.is_ideal:
            return f"{SUBCIRCUIT_STEM}_ideal"
        key = repr((self.gain, self.gbw_hz, self.v_out_min_V, self.v_out_max_V, self.offset_V))
        return f"{SUBCIRCUIT_STEM}_{hashlib.sha1(key.encode()).hexdigest()[:10]}"

    def closed_loop_inverting(self, *, feedback_ohm: float, source_conductance_S: float) -> float:
        """DC factor k with ``V_out = −k·R_f·I`` for an inverting transimpedance stage
        (see :mod:`memspice.circuits.readout`): ``k = A/(1 + A + R_f·G_s)``."""
        return self.gain / (1.0 + self.gain + feedback_ohm * source_conductance_S)


def opamp_subcircuit(opamp: OpAmp) -> SubcircuitDefinition:
    """The ngspice subcircuit of ``opamp`` (pins ``inp inn out``; see the module docstring)."""
    if not isinstance(opamp, OpAmp):
        raise ParameterError(f"opamp must be an OpAmp, not {type(opamp).__name__}")
    vd = f"(V(inp)-V(inn)+{opamp.offset_V!r})" if opamp.offset_V else "(V(inp)-V(inn))"
    elements: list = []
    if opamp.gbw_hz is None:
        drive = f"{opamp.gain!r}*{vd}"
    else:
        elements += [
            BehaviouralSource("gm", "0", "pole", Expr(f"{opamp.gain!r}*{vd}")),
            Resistor("pole", "pole", "0", 1.0),
            Capacitor("pole", "pole", "0", 1.0 / (2 * math.pi * opamp.pole_hz)),
        ]
        drive = "V(pole)"
    if opamp.v_out_min_V is not None:
        low, high = opamp.v_out_min_V, opamp.v_out_max_V
        width = CLAMP_WIDTH * (high - low)

        def ramp(u: str) -> str:
            return f"(({u})+abs({u}))/2+{width!r}*ln(1+exp(-abs({u})/{width!r}))"

        drive = f"{low!r}+{ramp(f'{drive}-({low!r})')}-({ramp(f'{drive}-({high!r})')})"
    elements += [
        BehaviouralSource("amp", "outi", "0", Expr(drive), kind="V"),
        VoltageSource("sense", "outi", "out", Dc(0.0)),
    ]
    comments = (
        "op-amp macro-model (memspice.spicelib.opamp): pins inp inn out",
        (f"A0={opamp.gain:g} GBW={opamp.gbw_hz} Hz swing=[{opamp.v_out_min_V}, {opamp.v_out_max_V}] V "
         f"offset={opamp.offset_V:g} V"),
    )
    return SubcircuitDefinition(name=opamp.subcircuit_name, pins=OPAMP_PINS, params={}, elements=tuple(elements),
                                comments=comments)
