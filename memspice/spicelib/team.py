"""TEAM: the ThrEshold Adaptive Memristor model (Kvatinsky et al., IEEE TCAS-I 60(1):211, 2013).

A current-controlled generic memristor: the state moves only while the device current is past
one of two thresholds, i_off > 0 > i_on. In normalised form (x = (w − x_on)/(x_off − x_on),
d = x_off − x_on, x = 0 ON, x = 1 OFF)::

    i      = v / R(x)
    dx/dt  = [k_off·(i/i_off − 1)^α_off·f_off(x)   for i > i_off     (eq. 1, upper branch)
              0                                    for i_on < i < i_off
              k_on·(i/i_on − 1)^α_on·f_on(x)       for i < i_on] / d  (eq. 1, lower branch)
    R(x)   = ron + (roff − ron)·x                  (linear, eq. 3)
           | ron·exp(λ·x), λ = ln(roff/ron)        (exponential, eq. 5)
    f_off  = exp(−exp((w − a_off)/w_c)), f_on = exp(−exp(−(w − a_on)/w_c))   (Kvatinsky window, eq. 6)

The current in the thresholds is the device current, computed in the expressions as
``v/rmem(x)`` (the conductance form, so the model runs under a voltage or a current drive).
"""

from __future__ import annotations

from typing import Mapping

from memspice.spicelib.catalog import (
    HysteresisDrive,
    MemristorModel,
    ModelEquations,
    Parameter,
    ParamValue,
    greater_than,
    register,
)
from memspice.spicelib.expressions import Helper
from memspice.spicelib.smooth import RAMP, SOFT_BOUND

#: R(x) per form. With window none the soft bound keeps x within 1e-5 of [0, 1] and R reads
#: the clipped state; Kvatinsky's window stops x a few w_c past its bounds, and R reads the
#: state as it is, as the paper's eqs. 3 and 5 (and Xyce's TEAM device) do.
_TEAM_RESISTANCE = {
    "linear": "ron + (roff - ron)*{x}",
    "exponential": "ron*exp(ln(roff/ron)*{x})",
}

#: The window per direction: f_off on the OFF-going (x increasing) branch, f_on on the other.
#: ``none`` stops the state with the soft bound of :mod:`memspice.spicelib.smooth` instead.
_TEAM_WINDOWS = {
    "none": ("1", "1"),
    "kvatinsky": ("exp(-exp((x*d - a_off)/w_c))", "exp(-exp(-(x*d - a_on)/w_c))"),
}


def _team_equations(values: Mapping[str, ParamValue]) -> ModelEquations:
    form, window = str(values["r_form"]), str(values["window"])
    f_off, f_on = _TEAM_WINDOWS[window]
    helpers = (
        *SOFT_BOUND,
        Helper("rmem", ("x",), _TEAM_RESISTANCE[form].format(x="x" if window == "kvatinsky" else "clip(x)")),
        RAMP,
        Helper("f_off", ("x",), f_off),
        Helper("f_on", ("x",), f_on),
        Helper(
            "rate",
            ("im", "x"),
            "(k_off*ramp(im/i_off - 1)**alpha_off*f_off(x) + k_on*ramp(im/i_on - 1)**alpha_on*f_on(x))/d",
        ),
    )
    # With Kvatinsky's window the window itself stops the state (a few w_c past a_on, a_off);
    # without one the soft bound does.
    rate = "rate(v/rmem(x), x)" if window == "kvatinsky" else "bound(rate(v/rmem(x), x), x)"
    return ModelEquations(
        current="v/rmem(x)",
        state_rate=rate,
        helpers=helpers,
        comments=(f"x = w/d (0 ON, 1 OFF); R(x) {form}; window {window}; no motion for i_on < i < i_off",),
    )


TEAM = register(
    MemristorModel(
        name="team",
        title="TEAM threshold adaptive memristor",
        kind="generic memristor, current-controlled",
        citation="S. Kvatinsky et al., IEEE TCAS-I 60(1):211, 2013 (eqs. 1, 3, 5, 6); defaults: Xyce's TEAM device",
        doc=(
            "i = v/R(x); dx/dt = [k_off·(i/i_off − 1)^α_off·f_off(x) for i > i_off; k_on·(i/i_on − 1)^α_on·f_on(x) "
            "for i < i_on; 0 between]/d, x = w/d ∈ [0, 1] (x = 1: OFF). R(x) linear ron + (roff − ron)·x or "
            "exponential ron·exp(ln(roff/ron)·x). Window none (soft bound) or Kvatinsky's "
            "f_off = exp(−exp((w − a_off)/w_c)), f_on = exp(−exp(−(w − a_on)/w_c)) with w = x·d."
        ),
        state_name="x",
        state_unit="w/D",
        state_initial="x0",
        state_bounds=(0.0, 1.0),
        parameters=(
            Parameter("ron", 50.0, "Ω", "ON resistance (x = 0)", low=0.0, high=1e12, low_open=True),
            Parameter("roff", 1e3, "Ω", "OFF resistance (x = 1); must exceed ron", low=0.0, high=1e12, low_open=True),
            Parameter("d", 3e-9, "m", "state range x_off − x_on", low=0.0, high=1e-3, low_open=True),
            Parameter("k_on", -8e-13, "m/s", "ON switching rate (negative)", low=-1e9, high=0.0, high_open=True),
            Parameter("k_off", 8e-13, "m/s", "OFF switching rate (positive)", low=0.0, high=1e9, low_open=True),
            Parameter("alpha_on", 3.0, "", "ON nonlinearity exponent", low=1.0, high=20.0),
            Parameter("alpha_off", 3.0, "", "OFF nonlinearity exponent", low=1.0, high=20.0),
            Parameter("i_on", -8.9e-6, "A", "ON current threshold (negative)", low=-1e3, high=0.0, high_open=True),
            Parameter("i_off", 115e-6, "A", "OFF current threshold (positive)", low=0.0, high=1e3, low_open=True),
            Parameter("a_on", 0.0, "m", "Kvatinsky window: position where f_on falls (w = x·d)", low=-1e-3, high=1e-3),
            Parameter("a_off", 3e-9, "m", "Kvatinsky window: position where f_off falls (w = x·d)", low=-1e-3, high=1e-3),
            Parameter("w_c", 1.07e-12, "m", "Kvatinsky window: width of the fall", low=0.0, high=1e-3, low_open=True),
            Parameter("x0", 0.5, "", "initial normalised state w/d at t = 0", low=0.0, high=1.0),
            Parameter("r_form", "linear", "", "R(x) form", choices=tuple(_TEAM_RESISTANCE)),
            Parameter("window", "none", "", "window function", choices=tuple(_TEAM_WINDOWS)),
        ),
        equations=_team_equations,
        drive=HysteresisDrive(kind="current", amplitude=5e-3, freqs_hz=(10.0, 100.0, 1000.0)),
        constraints=greater_than("team", "roff", "ron"),
        traps=(
            "Hard current thresholds (if/else) stall the time step: a softplus of width 1e-3 in i/i_th replaces them. "
            "Kvatinsky's window is a double exponential of width w_c = 1.07 pm (3.6e-4 of d): the state stops a few "
            "w_c past a_on and a_off (about 1e-3 of d at 2× the recommended drive), not exactly at 0 and 1, and R "
            "reads that state unclipped, as in the paper. The rates are very asymmetric at the Xyce defaults "
            "(|i_on| ≪ i_off): ON switching is about 1000× faster than OFF switching."
        ),
    )
)
