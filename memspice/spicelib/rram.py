"""Filament-gap RRAM in the style of the Stanford-PKU model (Jiang et al., IEEE TED 63(5):1884, 2016).

The state is the gap g between the tip of the conductive filament and the electrode; the
current tunnels across it and the gap grows or shrinks by field-assisted ion hopping::

    i      = I0·exp(−g/g0)·sinh(v/V0)                                     (eq. 1)
    dg/dt  = −v0·exp(−Ea/(k·T))·sinh(γ·a0·q·v/(tox·k·T))                  (eq. 2)
    γ      = γ0 − β·(g/g1)³                                               (eq. 3)

isothermal (T = ``temp``; the paper's self-heating T = T0 + |i·v|·Rth is left out), with
g kept in [g_min, g_max] by the soft bound of :mod:`memspice.spicelib.smooth` applied to
(g − g_min)/(g_max − g_min). A positive voltage shrinks the gap (SET), a negative one
grows it (RESET).

Units: every length of this model (g, g0, g1, a0, tox, g_min, g_max, g_init) is in **nm**,
and so is the state node: V(xstate) = g/nm. A gap of 1e-10 m held as a node voltage would be
100× below ngspice's default node tolerance (vntol = 1 µV) relative to its own swing, so
the error control could not see it move; in nm it swings over 0.1 … 1.7 V. Only the
velocity v0 keeps its SI unit (m/s, as in the paper).

Cycle-to-cycle variation (``variation=on``): the rate is multiplied by a lognormal factor
exp(σ·ξ(t)), ξ a standard normal redrawn every ``t_var`` seconds from a counter-based
generator seeded by the instance parameter ``seed_var`` (see
:class:`~memspice.spicelib.catalog.RandomInput`: reproducible run to run, independent from
device to device when each gets its own seed), in the spirit of the paper's random gap term
and of the lognormal programming noise θ = θ0·exp(N(0, σ²)). The Verilog-A export ignores
it (OpenVAF has no ``$rdist_normal``): there ξ = 0 and the model is the deterministic one.

The field-lowered barrier Ea ∓ γ·a0·q·v/tox of eq. 2 is floored at 0 (a barrier cannot go
negative): above about Ea·tox/(γ·a0) = 1.8 V the rate saturates at vel0/2 instead of growing
as a sinh without bound. Below that voltage the equation is the paper's exactly.
"""

from __future__ import annotations

from typing import Mapping

from memspice.errors import ParameterError
from memspice.spicelib.catalog import (
    HysteresisDrive,
    MemristorModel,
    ModelEquations,
    Parameter,
    ParamValue,
    RandomInput,
    register,
)
from memspice.spicelib.expressions import Helper
from memspice.spicelib.smooth import RAMP, SOFT_BOUND

#: k_B/q in V/K (eV/K), exact SI 2019 constants.
BOLTZMANN_EV_PER_K = 8.617333262e-05
#: nm per m: the state node holds the gap in nm, the velocity v0 is in m/s.
NM_PER_M = 1e9

_VARIATION = ("off", "on")


def _gap_equations(values: Mapping[str, ParamValue]) -> ModelEquations:
    kt = f"{BOLTZMANN_EV_PER_K!r}*temp"
    helpers = (
        *SOFT_BOUND,
        Helper("s", ("g",), "(g - g_min)/(g_max - g_min)"),
        Helper("gam", ("g",), "gamma0 - beta*(g/g1)**3"),
        RAMP,
        # exp(-Ea/kT)*sinh(z/kT) = [exp(-(Ea - z)/kT) - exp(-(Ea + z)/kT)]/2 with each barrier
        # floored at 0 (ramp): a field-lowered barrier cannot go negative.
        Helper("hop", ("z",), f"0.5*(exp(-ramp(ea - z)/({kt})) - exp(-ramp(ea + z)/({kt})))"),
        Helper("rate", ("vm", "g"), f"-vel0*{NM_PER_M:g}*hop(gam(g)*a0/tox*vm)"),
    )
    variation = str(values["variation"]) == "on"
    rate = "rate(v, x)*exp(sigma_var*xi)" if variation else "rate(v, x)"
    return ModelEquations(
        current="i0*exp(-x/g0)*sinh(v/v0)",
        state_rate=f"bound({rate}, s(x))",
        helpers=helpers,
        comments=(
            "state g in nm; i = i0*exp(-g/g0)*sinh(v/v0); dg/dt = -vel0*exp(-Ea/kT)*sinh(gamma*a0*v/(tox*kT/q))",
            *(("variation on: rate * exp(sigma_var*xi), xi ~ N(0,1) redrawn every t_var",) if variation else ()),
        ),
        random_inputs=(RandomInput("xi", "t_var", "seed_var"),) if variation else (),
    )


def _gap_constraints(values: Mapping[str, ParamValue]) -> None:
    g_min, g_max, g_init = (float(values[name]) for name in ("g_min", "g_max", "g_init"))
    if g_max <= g_min:
        raise ParameterError(f"stanford_pku: g_max={g_max:g} nm must be greater than g_min={g_min:g} nm")
    if not g_min <= g_init <= g_max:
        raise ParameterError(f"stanford_pku: g_init={g_init:g} nm must lie in [g_min, g_max] = [{g_min:g}, {g_max:g}] nm")


STANFORD_PKU = register(
    MemristorModel(
        name="stanford_pku",
        title="Stanford-PKU filament-gap RRAM",
        kind="generic memristor, voltage-controlled",
        citation=(
            "Z. Jiang et al., IEEE TED 63(5):1884, 2016 (eqs. 1-3, isothermal); X. Guan, S. Yu, H.-S. P. Wong, "
            "IEEE EDL 33(10):1405, 2012; defaults: the SkyWater sky130 ReRAM set"
        ),
        doc=(
            "i = i0·exp(−g/g0)·sinh(v/v0); dg/dt = −vel0·exp(−ea/(k·temp))·sinh(γ·a0·q·v/(tox·k·temp)), "
            "γ = gamma0 − beta·(g/g1)³, each barrier Ea ∓ γ·a0·q·v/tox floored at 0; g in nm, bounded to "
            "[g_min, g_max]. variation=on multiplies the rate by exp(sigma_var·ξ), ξ ~ N(0, 1) redrawn every t_var "
            "from seed seed_var (ngspice only; the Verilog-A export uses ξ = 0)."
        ),
        state_name="g",
        state_unit="nm",
        state_initial="g_init",
        state_bounds=(0.1, 1.7),
        parameters=(
            Parameter("i0", 61.4e-6, "A", "current scale I0", low=0.0, high=1.0, low_open=True),
            Parameter("g0", 0.275, "nm", "gap decay length of the current", low=0.0, high=100.0, low_open=True),
            Parameter("v0", 0.43, "V", "voltage scale of the current's sinh", low=0.0, high=100.0, low_open=True),
            Parameter("vel0", 150.0, "m/s", "attempt velocity of the gap change", low=0.0, high=1e12, low_open=True),
            Parameter("gamma0", 16.5, "", "field enhancement at zero gap", low=0.0, high=1e3, low_open=True),
            Parameter("beta", 1.25, "", "decrease of the field enhancement with the gap", low=0.0, high=1e3),
            Parameter("g1", 1.0, "nm", "gap scale of the field enhancement", low=0.0, high=100.0, low_open=True),
            Parameter("ea", 1.5, "eV", "activation energy of ion hopping", low=0.0, high=10.0, low_open=True),
            Parameter("a0", 0.25, "nm", "hopping distance", low=0.0, high=100.0, low_open=True),
            Parameter("tox", 5.0, "nm", "oxide thickness", low=0.0, high=1e3, low_open=True),
            Parameter("temp", 300.0, "K", "device temperature (isothermal)", low=0.0, high=2000.0, low_open=True),
            Parameter("g_min", 0.1, "nm", "smallest gap (LRS)", low=0.0, high=100.0),
            Parameter("g_max", 1.7, "nm", "largest gap (HRS); must exceed g_min", low=0.0, high=100.0, low_open=True),
            Parameter("g_init", 1.7, "nm", "gap at t = 0, in [g_min, g_max]", low=0.0, high=100.0),
            Parameter("sigma_var", 0.2, "", "variation=on: σ of the lognormal rate factor exp(σ·ξ)", low=0.0, high=5.0),
            Parameter("t_var", 1e-5, "s", "variation=on: time each random draw ξ is held", low=0.0, high=1e6, low_open=True),
            Parameter("seed_var", 1.0, "", "variation=on: seed of the random sequence (one per device)", low=0.0, high=1e6),
            Parameter("variation", "off", "", "cycle-to-cycle variation of the switching rate", choices=_VARIATION),
        ),
        equations=_gap_equations,
        drive=HysteresisDrive(kind="voltage", amplitude=2.0, freqs_hz=(1e3, 1e4, 1e5)),
        constraints=_gap_constraints,
        traps=(
            "The rate is a sinh of about 32·v at 300 K: each 0.07 V more switches ten times faster, so a drive "
            "a little above the set voltage slams the gap into its bound; the soft bound then holds it within 1e-5 "
            "of the range. A gap in metres as a node voltage is below ngspice's tolerances: the state "
            "is in nm. Past about 1.8 V the field-lowered barrier would go negative and the sinh overflow "
            "(ngspice stops with '-inf out of range'): the barrier is floored at 0. variation=on is ngspice only."
        ),
    )
)
