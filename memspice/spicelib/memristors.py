"""The memristor models of the catalog: Chua's ideal memristor, HP linear ion drift, VTEAM.

Each model is one equations function plus one ``register`` call. Equations are written in
the expression language of :mod:`memspice.spicelib.expressions` with the variables ``v``
(device voltage, V), ``i`` (device current, A, current-controlled forms) and ``x`` (the
state); the shared subcircuit shape is in :mod:`memspice.spicelib.catalog`.

The smooth helpers the models share (``clip``, ``sb``, ``bound``, ``stp``, ``ramp``) and the
traps they avoid are described in :mod:`memspice.spicelib.smooth`; traps particular to a
model are listed in its ``traps``.
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
from memspice.spicelib.smooth import RAMP, SMOOTH_STEP, SOFT_BOUND

# --------------------------------------------------------------------------- Chua


def _chua_equations(values: Mapping[str, ParamValue]) -> ModelEquations:
    return ModelEquations(
        current="v/mem(x)",
        state_rate="v/mem(x)",
        helpers=(Helper("mem", ("q",), "r0*(1 + 1.25*(q/q0)**4)"),),
        comments=("phi(q) = q + q^5/4 (scaled): M(q) = dphi/dq = r0*(1 + 1.25*(q/q0)^4); dq/dt = i",),
    )


CHUA = register(
    MemristorModel(
        name="chua",
        title="Chua ideal charge-controlled memristor",
        kind="ideal memristor, current-controlled",
        citation="L. O. Chua, IEEE Trans. Circuit Theory 18(5):507, 1971; seed example phi(q) = q + q^5/4",
        doc=(
            "v = M(q)·i with M(q) = r0·(1 + 1.25·(q/q0)^4) and dq/dt = i: the constitutive relation "
            "φ(q) = r0·(q + q^5/(4·q0^4)). The defaults (r0 = 1 Ω, q0 = 1 C) are the seed's example; "
            "realistic devices scale r0 up and q0 down."
        ),
        state_name="q",
        state_unit="C",
        state_initial="q_init",
        state_bounds=None,
        parameters=(
            Parameter("r0", 1.0, "Ω", "memristance at zero charge", low=0.0, high=1e12, low_open=True),
            Parameter("q0", 1.0, "C", "charge scale of the quartic term", low=0.0, high=1e6, low_open=True),
            Parameter("q_init", 0.0, "C", "charge at t = 0", low=-1e6, high=1e6),
        ),
        equations=_chua_equations,
        drive=HysteresisDrive(kind="voltage", amplitude=1.0, freqs_hz=(0.1, 1.0, 10.0)),
        traps="Charge is unbounded under a drive with a DC component; keep drives zero-mean.",
    )
)


# --------------------------------------------------------------------------- HP linear ion drift

_HP_WINDOWS = {
    "none": "1",
    "joglekar": "1 - abs(2*x - 1)**(2*p)",
    "biolek": "1 - abs(x - stp(-vm))**(2*p)",
    "prodromakis": "j*(1 - ((x - 0.5)**2 + 0.75)**p)",
}


def _hp_equations(values: Mapping[str, ParamValue]) -> ModelEquations:
    window = str(values["window"])
    helpers = (
        *SOFT_BOUND,
        Helper("rmem", ("x",), "ron*clip(x) + roff*(1 - clip(x))"),
        SMOOTH_STEP,
        Helper("win", ("x", "vm"), _HP_WINDOWS[window]),
    )
    return ModelEquations(
        current="v/rmem(x)",
        state_rate="bound(uv*ron/(d*d)*v/rmem(x)*win(x, v), x)",
        helpers=helpers,
        comments=(f"R(x) = ron*x + roff*(1-x); dx/dt = uv*ron/d^2 * i * f(x); window f = {window}",),
    )


HP = register(
    MemristorModel(
        name="hp",
        title="HP linear ion drift memristor",
        kind="generic memristor, current-controlled",
        citation=(
            "D. B. Strukov et al., Nature 453:80, 2008 (eqs. 1-2); windows: Joglekar & Wolf, Eur. J. Phys. 30:661, 2009; "
            "Biolek et al., Radioengineering 18(2):210, 2009; Prodromakis et al., IEEE TED 58(9):3099, 2011"
        ),
        doc=(
            "v = [ron·x + roff·(1 − x)]·i, dx/dt = uv·ron/d²·i·f(x), x = w/D ∈ [0, 1]. "
            "Windows f: none = 1; joglekar 1 − (2x − 1)^(2p); biolek 1 − (x − stp(−i))^(2p); "
            "prodromakis j·(1 − ((x − 0.5)² + 0.75)^p)."
        ),
        state_name="x",
        state_unit="w/D",
        state_initial="x0",
        state_bounds=(0.0, 1.0),
        parameters=(
            Parameter("ron", 100.0, "Ω", "resistance of the fully doped device (x = 1)", low=0.0, high=1e12, low_open=True),
            Parameter("roff", 16e3, "Ω", "resistance of the undoped device (x = 0); must exceed ron", low=0.0, high=1e12, low_open=True),
            Parameter("d", 10e-9, "m", "device thickness D", low=0.0, high=1e-3, low_open=True),
            Parameter("uv", 1e-14, "m²/(V·s)", "dopant mobility µv", low=0.0, high=1e-6, low_open=True),
            Parameter("x0", 0.1, "", "initial normalised doped width w/D at t = 0", low=0.0, high=1.0),
            Parameter("window", "none", "", "window function f(x)", choices=tuple(_HP_WINDOWS)),
            Parameter("p", 1.0, "", "window exponent (Joglekar, Biolek, Prodromakis)", low=1.0, high=100.0),
            Parameter("j", 1.0, "", "Prodromakis window scale", low=0.0, high=10.0, low_open=True),
        ),
        equations=_hp_equations,
        drive=HysteresisDrive(kind="voltage", amplitude=1.0, freqs_hz=(1.0, 10.0, 100.0)),
        constraints=greater_than("hp", "roff", "ron"),
        traps=(
            "Without a window the state leaves [0, 1] (here it is stopped smoothly at the bounds). "
            "Joglekar's window is zero at both bounds, so a device driven to a bound stays there "
            "(boundary lock); Biolek's needs the current's sign, smoothed here over 1 mV."
        ),
    )
)


# --------------------------------------------------------------------------- VTEAM

_VTEAM_RESISTANCE = {
    "linear": "ron + (roff - ron)*clip(x)",
    "exponential": "ron*exp(ln(roff/ron)*clip(x))",
}


def _vteam_equations(values: Mapping[str, ParamValue]) -> ModelEquations:
    form = str(values["r_form"])
    helpers = (
        *SOFT_BOUND,
        Helper("rmem", ("x",), _VTEAM_RESISTANCE[form]),
        RAMP,
        Helper("rate", ("vm",), "(k_off*ramp(vm/v_off - 1)**alpha_off + k_on*ramp(vm/v_on - 1)**alpha_on)/d"),
    )
    return ModelEquations(
        current="v/rmem(x)",
        state_rate="bound(rate(v), x)",
        helpers=helpers,
        comments=(f"x = (w - w_on)/(w_off - w_on) = w/d; R(x) {form}; no motion for v_on < v < v_off",),
    )


VTEAM = register(
    MemristorModel(
        name="vteam",
        title="VTEAM voltage threshold adaptive memristor",
        kind="generic memristor, voltage-controlled",
        citation="S. Kvatinsky et al., IEEE TCAS-II 62(8):786, 2015 (eqs. 1-3)",
        doc=(
            "i = v/R(x); dx/dt = [k_off·(v/v_off − 1)^α_off for v > v_off; k_on·(v/v_on − 1)^α_on for v < v_on; "
            "0 between]/d, x = w/d ∈ [0, 1] (x = 1: OFF). R(x) linear ron + (roff − ron)·x or exponential "
            "ron·exp(ln(roff/ron)·x)."
        ),
        state_name="x",
        state_unit="w/D",
        state_initial="x0",
        state_bounds=(0.0, 1.0),
        parameters=(
            Parameter("ron", 50.0, "Ω", "ON resistance (x = 0)", low=0.0, high=1e12, low_open=True),
            Parameter("roff", 1e3, "Ω", "OFF resistance (x = 1); must exceed ron", low=0.0, high=1e12, low_open=True),
            Parameter("d", 3e-9, "m", "state range w_off − w_on", low=0.0, high=1e-3, low_open=True),
            Parameter("k_on", -10.0, "m/s", "ON switching rate (negative)", low=-1e9, high=0.0, high_open=True),
            Parameter("k_off", 5e-4, "m/s", "OFF switching rate (positive)", low=0.0, high=1e9, low_open=True),
            Parameter("alpha_on", 3.0, "", "ON nonlinearity exponent", low=1.0, high=20.0),
            Parameter("alpha_off", 1.0, "", "OFF nonlinearity exponent", low=1.0, high=20.0),
            Parameter("v_on", -0.2, "V", "ON threshold voltage (negative)", low=-100.0, high=0.0, high_open=True),
            Parameter("v_off", 0.02, "V", "OFF threshold voltage (positive)", low=0.0, high=100.0, low_open=True),
            Parameter("x0", 0.5, "", "initial normalised state w/d at t = 0", low=0.0, high=1.0),
            Parameter("r_form", "linear", "", "R(x) form", choices=tuple(_VTEAM_RESISTANCE)),
        ),
        equations=_vteam_equations,
        drive=HysteresisDrive(kind="voltage", amplitude=1.0, freqs_hz=(1e7, 1e8, 1e9)),
        constraints=greater_than("vteam", "roff", "ron"),
        traps="Hard thresholds (if/else) stall the time step; here a softplus of width 1e-3 replaces them.",
    )
)
