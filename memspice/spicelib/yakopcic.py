"""Yakopcic's generalised memristor model (Yakopcic et al., IEEE EDL 32(10):1436, 2011).

A generic voltage-controlled memristor with a sinh I–V, voltage thresholds with exponential
kinetics, and a state-dependent motion that slows past xp (xn)::

    i      = a1·x·sinh(b·v)  (v ≥ 0),   a2·x·sinh(b·v)  (v < 0)                    (eq. 1)
    g(v)   = Ap·(e^v − e^Vp)  (v > Vp),  −An·(e^−v − e^Vn)  (v < −Vn),  0 otherwise   (eq. 2)
    f(x)   = e^(−αp·(x − xp))·wp(x)  for η·v ≥ 0 and x ≥ xp,  1 for x < xp           (eq. 3)
           = e^(αn·(x + xn − 1))·wn(x)  for η·v < 0 and x ≤ 1 − xn,  1 for x > 1 − xn  (eq. 4)
    wp(x)  = (xp − x)/(1 − xp) + 1,   wn(x) = x/(1 − xn)                           (eq. 5)
    dx/dt  = η·g(v)·f(x)                                                          (eq. 6)

Every branch switch happens where the pieces meet (g = 0 at its thresholds, f = 1 at xp and
1 − xn, sinh(b·v) = 0 at v = 0), so the unit steps ``u()`` below multiply continuous
products: the rate has kinks but no jumps, and no smoothing width enters the physics.
"""

from __future__ import annotations

from typing import Mapping

from memspice.spicelib.catalog import HysteresisDrive, MemristorModel, ModelEquations, Parameter, ParamValue, register
from memspice.spicelib.expressions import Helper


def _yakopcic_equations(values: Mapping[str, ParamValue]) -> ModelEquations:
    helpers = (
        Helper("gv", ("vm",), "u(vm - vp)*ap*(exp(vm) - exp(vp)) - u(-vm - vn)*an*(exp(-vm) - exp(vn))"),
        Helper("fp", ("x",), "1 + u(x - xp)*(exp(-alpha_p*(x - xp))*((xp - x)/(1 - xp) + 1) - 1)"),
        Helper("fn", ("x",), "1 + u(1 - xn - x)*(exp(alpha_n*(x + xn - 1))*x/(1 - xn) - 1)"),
        Helper("fx", ("x", "s"), "u(s)*fp(x) + u(-s)*fn(x)"),
    )
    return ModelEquations(
        current="x*sinh(b*v)*(a1*u(v) + a2*u(-v))",
        state_rate="eta*gv(v)*fx(x, eta*v)",
        helpers=helpers,
        comments=("i = a(v)*x*sinh(b*v); dx/dt = eta*g(v)*f(x); thresholds vp, -vn; motion slows past xp, 1 - xn",),
    )


YAKOPCIC = register(
    MemristorModel(
        name="yakopcic",
        title="Yakopcic generalised memristor",
        kind="generic memristor, voltage-controlled",
        citation=(
            "C. Yakopcic et al., IEEE EDL 32(10):1436, 2011 (eqs. 1-6); defaults: the public LTspice parameter set "
            "(a1 = a2 = 0.17, b = 0.05, Vp = 0.65, Vn = 0.56, Ap = An = 4000, xp = 0.3, xn = 0.5, αp = 1, αn = 5, "
            "x0 = 0.11, η = 1)"
        ),
        doc=(
            "i = a1·x·sinh(b·v) (v ≥ 0), a2·x·sinh(b·v) (v < 0); dx/dt = η·g(v)·f(x) with "
            "g = Ap·(e^v − e^Vp) above Vp, −An·(e^−v − e^Vn) below −Vn, 0 between; f slows the motion "
            "as e^(−αp·(x − xp))·wp(x) past xp (rising x) and e^(αn·(x + xn − 1))·wn(x) below 1 − xn (falling x); "
            "wp and wn vanish at x = 1 and x = 0, so the state stays in [0, 1] without a soft bound."
        ),
        state_name="x",
        state_unit="",
        state_initial="x0",
        state_bounds=(0.0, 1.0),
        parameters=(
            Parameter("a1", 0.17, "A", "I–V amplitude for v ≥ 0", low=0.0, high=1e3, low_open=True),
            Parameter("a2", 0.17, "A", "I–V amplitude for v < 0", low=0.0, high=1e3, low_open=True),
            Parameter("b", 0.05, "1/V", "I–V curvature (sinh(b·v))", low=0.0, high=100.0, low_open=True),
            Parameter("vp", 0.65, "V", "positive threshold voltage", low=0.0, high=100.0),
            Parameter("vn", 0.56, "V", "negative threshold magnitude (motion below −vn)", low=0.0, high=100.0),
            Parameter("ap", 4000.0, "1/s", "positive-branch rate amplitude", low=0.0, high=1e15),
            Parameter("an", 4000.0, "1/s", "negative-branch rate amplitude", low=0.0, high=1e15),
            Parameter("xp", 0.3, "", "state past which rising motion slows", low=0.0, high=1.0, high_open=True),
            Parameter("xn", 0.5, "", "falling motion slows below 1 − xn", low=0.0, high=1.0, high_open=True),
            Parameter("alpha_p", 1.0, "", "decay rate of the rising-motion window", low=0.0, high=100.0),
            Parameter("alpha_n", 5.0, "", "decay rate of the falling-motion window", low=0.0, high=100.0),
            Parameter("eta", 1.0, "", "direction of motion relative to v (+1 or −1 in the paper)", low=-100.0, high=100.0),
            Parameter("x0", 0.11, "", "initial state at t = 0", low=0.0, high=1.0),
        ),
        equations=_yakopcic_equations,
        drive=HysteresisDrive(kind="voltage", amplitude=1.0, freqs_hz=(1e3, 1e4, 1e5)),
        traps=(
            "LTspice codes write the branches with IF()/ternary_fcn, which ngspice B-sources do not run; here they "
            "are unit steps u() multiplying terms that vanish where the branches meet, so the rate is continuous. "
            "Two public parameter sets circulate for the same fit (Vp = 0.65/Vn = 0.56 and Vp = 0.16/Vn = 0.15); "
            "the drive amplitude must exceed the thresholds or the device never moves. The lobe area falls slowly below "
            "1 kHz (only 6× from 100 Hz to 10 kHz at 1 V, short of the high-frequency collapse): the recommended "
            "drive is 1 kHz to 100 kHz, where it falls 27×."
        ),
    )
)
