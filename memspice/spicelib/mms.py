"""Knowm's mean metastable switch memristor (Molter & Nugent, arXiv:1601.05185, 2016).

The device is a collection of metastable switches, each flipping between OFF (roff) and
ON (ron) with thermally activated probabilities; the state x is the fraction that is ON::

    dx/dt  = (1/τ)·[P_on(v)·(1 − x) − P_off(v)·x]                   (eq. 2 of the MMS model)
    P_on   = 1/(1 + e^(−β·(v − v_on))),  P_off = 1 − 1/(1 + e^(−β·(v + v_off))),  β = q/(k·T)
    i      = v·[x/ron + (1 − x)/roff]                                (the MSS conductance; the
                                                                     optional Schottky term is left out)

At x = 0 the rate is P_on/τ ≥ 0 and at x = 1 it is −P_off/τ ≤ 0: the state cannot leave
[0, 1], no window or bound is needed.
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

#: k_B/q in V/K (exact SI 2019 constants): the thermal voltage is this times T.
BOLTZMANN_OVER_Q_V_PER_K = 8.617333262e-05


def _mms_equations(values: Mapping[str, ParamValue]) -> ModelEquations:
    vt = f"{BOLTZMANN_OVER_Q_V_PER_K!r}*temp"
    helpers = (
        Helper("p_on", ("vm",), f"1/(1 + exp(-(vm - v_on)/({vt})))"),
        Helper("p_off", ("vm",), f"1/(1 + exp((vm + v_off)/({vt})))"),
    )
    return ModelEquations(
        current="v*(x/ron + (1 - x)/roff)",
        state_rate="(p_on(v)*(1 - x) - p_off(v)*x)/tau",
        helpers=helpers,
        comments=("x = fraction of switches ON; P_on, P_off logistic in v with slope q/(k*temp)",),
    )


MMS = register(
    MemristorModel(
        name="mms",
        title="Knowm mean metastable switch memristor",
        kind="generic memristor, voltage-controlled",
        citation=(
            "T. W. Molter, M. A. Nugent, 'The generalized metastable switch memristor model', arXiv:1601.05185, 2016 "
            "(MMS state equation and MSS conductance); defaults: Knowm's public model set"
        ),
        doc=(
            "i = v·[x/ron + (1 − x)/roff]; dx/dt = [P_on(v)·(1 − x) − P_off(v)·x]/τ with "
            "P_on = 1/(1 + e^(−(v − v_on)/V_T)), P_off = 1/(1 + e^((v + v_off)/V_T)), V_T = k·temp/q. "
            "x is the fraction of metastable switches that are ON (x = 1: ron)."
        ),
        state_name="x",
        state_unit="",
        state_initial="x0",
        state_bounds=(0.0, 1.0),
        parameters=(
            Parameter("ron", 500.0, "Ω", "resistance with every switch ON (x = 1)", low=0.0, high=1e12, low_open=True),
            Parameter("roff", 1500.0, "Ω", "resistance with every switch OFF (x = 0); must exceed ron", low=0.0, high=1e12, low_open=True),
            Parameter("v_on", 0.27, "V", "voltage at which P_on = 1/2", low=-100.0, high=100.0),
            Parameter("v_off", 0.27, "V", "P_off = 1/2 at v = −v_off", low=-100.0, high=100.0),
            Parameter("tau", 1e-4, "s", "time constant of a metastable switch", low=0.0, high=1e6, low_open=True),
            Parameter("temp", 300.0, "K", "device temperature (sets V_T = k·temp/q)", low=0.0, high=2000.0, low_open=True),
            Parameter("x0", 0.0, "", "fraction of switches ON at t = 0", low=0.0, high=1.0),
        ),
        equations=_mms_equations,
        drive=HysteresisDrive(kind="voltage", amplitude=0.5, freqs_hz=(1000.0, 10000.0, 100000.0)),
        constraints=greater_than("mms", "roff", "ron"),
        traps=(
            "Below about 1/(2π·τ) the state follows its equilibrium P_on/(P_on + P_off) and the lobe area "
            "falls again as the frequency drops: the area decreases with frequency only above that corner. "
            "At v = 0 the state relaxes with time constant τ/(P_on(0) + P_off(0)), seconds at the defaults."
        ),
    )
)
