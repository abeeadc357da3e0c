"""Threshold-switching selectors: volatile two-terminal switches for 1S1R cells.

A selector in series with a memristor (1S1R) blocks the sneak currents of a passive
crossbar: it conducts only while the voltage across it is large. DOMAIN.md §4: a threshold
switch turns on when |V| exceeds V_th, stays on while |V| stays above V_hold, and V_hold ≈
0.1 V ≪ V_th (TiW/CuS/GeSe/Pt device). Once the voltage falls below V_hold it turns off by
itself (volatile), unlike a memristor.

A selector is a two-terminal device with one state, so it uses the memristor catalog's
machinery (:class:`~memspice.spicelib.catalog.MemristorModel`, the expression language, the
ngspice subcircuit with the state on node ``xstate`` and its Verilog-A twin); it is kept in
a registry of its own (:func:`get_selector`, :func:`all_selectors`) so that it is not listed
among the memristors (``memspice models``, :func:`~memspice.spicelib.all_models`).

The threshold switch ``ts``
---------------------------
State s ∈ [0, 1] (0 = OFF, 1 = ON) is V(xstate) of the subcircuit, like a memristor's state::

    i      = v · G(s),     G(s) = (1/r_off_s)·(r_off_s/r_on_s)^s          (log-interpolated)
    ds/dt  = [σ((|v|/v_on(s) − 1)/width)·(1 − s) − σ((1 − |v|/v_hold)/width)·s] / tau
    v_on(s) = v_th − (v_th − v_hold)·L(s),   L(s) = ½·(1 + tanh(15·(s − ½)))
    σ(z)   = ½·(1 + tanh(z/2))       (the logistic function, written without exp overflow)

* The first term turns the device on where |v| > v_th (σ ≈ 1), the second turns it off where
  |v| < v_hold; in between both are exponentially small (below e^(−(v_th − |v|)/(width·v_th))
  and e^(−(|v| − v_hold)/(width·v_hold))) and the state holds: that band is the hysteresis.
* L(s) is the latch: once the state has passed about ½, the turn-on threshold falls from
  v_th to v_hold, so a turn-on that has started completes even when the voltage across the
  selector collapses as its resistance falls (a series load). Without it a selector in
  series with a resistor would clamp at v_th instead of snapping. With the latch the
  selector snaps to ON and its voltage falls back towards max(v_hold, V·r_on_s/(r_on_s +
  R_load)): the snap-back of threshold switches. (L(0) = 3e-7 and L(1) = 1 − 3e-7: the two
  thresholds are v_th and v_hold to better than a microvolt per volt.)
* ``width`` is relative: the smooth steps are width·v_th wide at the turn-on and
  width·v_hold wide at the release, so both are located to the same relative accuracy.
* At s = 0 the rate is ≥ 0 and at s = 1 it is ≤ 0, so the state cannot leave [0, 1]
  (as in Knowm's mean metastable switch); no window or bound is needed.

Switching points measured with :mod:`memspice.studies.selector_iv` (state crossing ½,
ngspice, defaults, triangle ±0.8 V): −0.40 % (V_th) and +0.06 % (V_hold) for a 1 ms triangle,
−0.64 % / +0.13 % for 10 ms, −0.14 % / −0.22 % for 100 µs. A slow sweep switches slightly
before V_th (the on-rate σ is already e^(−5) a few width·v_th below v_th, and over a long
time that integrates to a switch: about width·v_th·ln(width·v_th/(rate·tau)) early) and
releases slightly above V_hold; a sweep that crosses a threshold within a few tau lags by
about the voltage swept in tau·ln 2 (±0.8 V in 10 µs: +0.43 % / −2.3 %).

The equations are memspice's smooth rendering of the threshold-switch phenomenology
(Ovshinsky, Phys. Rev. Lett. 21:1450, 1968; hysteretic switching with V_hold < V_th), with a
first-order two-rate state equation in the form of Molter & Nugent's mean metastable switch
(arXiv:1601.05185, 2016); they are not a fit of one published device. Defaults: V_hold
0.1 V as DOMAIN.md §4 gives for the TiW/CuS/GeSe/Pt switch; V_th 0.5 V, R_on 1 kΩ, R_off
100 MΩ (selectivity 1e5) and tau 10 ns are representative of Cu/Ag-based volatile threshold
switches (V_th 0.2–1 V, selectivity 1e4–1e7, switching in ns to tens of ns).
"""

from __future__ import annotations

from typing import Mapping

from memspice.errors import ParameterError
from memspice.netlist import OsdiModel, SubcircuitDefinition
from memspice.spicelib.catalog import (
    HysteresisDrive,
    MemristorModel,
    ModelEquations,
    Parameter,
    ParamValue,
    check_model,
    memristor_subcircuit,
)
from memspice.spicelib.expressions import Helper

#: What :attr:`MemristorModel.kind` says for every selector (reports show it).
SELECTOR_KIND = "selector, volatile threshold switch"

#: Steepness of the latch L(s) = ½·(1 + tanh(LATCH_SLOPE·(s − ½))).
LATCH_SLOPE = 15.0

_SELECTORS: dict[str, MemristorModel] = {}


def register_selector(model: MemristorModel) -> MemristorModel:
    """Add ``model`` to the selector registry (checked as the memristor catalog checks its models).

    Raises
    ------
    ValueError
        when the name is taken (by a selector or a memristor of the catalog: both render
        subcircuits named ``memspice_<name>``) or the model fails the catalog's checks.
    """
    from memspice.spicelib.catalog import all_models

    if model.name in _SELECTORS:
        raise ValueError(f"selector model {model.name!r} is registered twice")
    if any(memristor.name == model.name for memristor in all_models()):
        raise ValueError(f"selector model {model.name!r} has the name of a memristor of the catalog")
    check_model(model)
    _SELECTORS[model.name] = model
    return model


def get_selector(name: str = "ts") -> MemristorModel:
    """The selector model called ``name`` (default the threshold switch ``ts``); ParameterError listing them otherwise."""
    try:
        return _SELECTORS[name]
    except KeyError:
        raise ParameterError(f"unknown selector model {name!r}; available: {', '.join(sorted(_SELECTORS))}") from None


def all_selectors() -> list[MemristorModel]:
    """Every selector model, sorted by name."""
    return [_SELECTORS[name] for name in sorted(_SELECTORS)]


def selector_subcircuit(model: MemristorModel, values: Mapping[str, ParamValue]) -> SubcircuitDefinition:
    """The ngspice subcircuit of a selector (pins ``pos neg``, state on ``xstate``), as for a memristor."""
    return memristor_subcircuit(model, values)


def selector_osdi_model(model: MemristorModel, values: Mapping[str, ParamValue],
                        instance_params: tuple[str, ...] = ()) -> OsdiModel:
    """The Verilog-A twin of :func:`selector_subcircuit` for VACASK netlists (``instance_params``:
    parameters set per cell)."""
    from memspice.spicelib.veriloga import osdi_model

    return osdi_model(model, values, instance_params)


# --------------------------------------------------------------------------- threshold switch


def _ts_equations(values: Mapping[str, ParamValue]) -> ModelEquations:
    helpers = (
        Helper("sig", ("z",), "0.5*(1 + tanh(z/2))"),
        Helper("latch", ("s",), f"0.5*(1 + tanh({LATCH_SLOPE!r}*(s - 0.5)))"),
        Helper("von", ("s",), "v_th - (v_th - v_hold)*latch(s)"),
        Helper("gsel", ("s",), "exp(s*ln(r_off_s/r_on_s))/r_off_s"),
    )
    return ModelEquations(
        current="v*gsel(x)",
        state_rate="(sig((abs(v)/von(x) - 1)/width)*(1 - x) - sig((1 - abs(v)/v_hold)/width)*x)/tau",
        helpers=helpers,
        comments=(
            "s = V(xstate) in [0, 1] (1 = ON); G(s) = (1/r_off_s)*(r_off_s/r_on_s)^s",
            "ds/dt = [sig((|v|/v_on(s) - 1)/width)*(1 - s) - sig((1 - |v|/v_hold)/width)*s]/tau; "
            "v_on(s) = v_th - (v_th - v_hold)*latch(s)",
        ),
    )


def _ts_constraints(values: Mapping[str, ParamValue]) -> None:
    if float(values["v_hold"]) >= float(values["v_th"]):
        raise ParameterError(
            f"ts: v_hold={values['v_hold']:g} V must be below v_th={values['v_th']:g} V "
            "(the selector turns on above v_th and releases below v_hold)"
        )
    if float(values["r_off_s"]) <= float(values["r_on_s"]):
        raise ParameterError(
            f"ts: r_off_s={values['r_off_s']:g} Ω must be greater than r_on_s={values['r_on_s']:g} Ω "
            "(r_off_s is the OFF resistance)"
        )


THRESHOLD_SWITCH = register_selector(
    MemristorModel(
        name="ts",
        title="Threshold switch",
        kind=SELECTOR_KIND,
        citation=(
            "threshold switching: S. R. Ovshinsky, Phys. Rev. Lett. 21:1450, 1968; two-rate state equation as in "
            "T. W. Molter, M. A. Nugent, arXiv:1601.05185, 2016; V_hold ~ 0.1 V << V_th (TiW/CuS/GeSe/Pt): DOMAIN.md §4"
        ),
        doc=(
            "i = v·G(s), G(s) = (1/r_off_s)·(r_off_s/r_on_s)^s; ds/dt = [σ((|v|/v_on(s) − 1)/width)·(1 − s) − "
            "σ((1 − |v|/v_hold)/width)·s]/tau with v_on(s) = v_th − (v_th − v_hold)·L(s), L the latch "
            "½(1 + tanh(15(s − ½))). Turns on where |v| > v_th, holds while |v| > v_hold, releases below "
            "v_hold (volatile). s = 1: ON."
        ),
        state_name="s",
        state_unit="",
        state_initial="s0",
        state_bounds=(0.0, 1.0),
        parameters=(
            Parameter("r_on_s", 1e3, "Ω", "ON resistance (s = 1)", low=0.0, high=1e12, low_open=True),
            Parameter("r_off_s", 1e8, "Ω", "OFF resistance (s = 0); must exceed r_on_s", low=0.0, high=1e15, low_open=True),
            Parameter("v_th", 0.5, "V", "threshold voltage: turns on where |v| > v_th", low=0.0, high=100.0, low_open=True),
            Parameter("v_hold", 0.1, "V", "hold voltage: releases where |v| < v_hold; must be below v_th",
                      low=0.0, high=100.0, low_open=True),
            Parameter("tau", 1e-8, "s", "switching time constant (turn-on and release)", low=0.0, high=1e3, low_open=True),
            Parameter("width", 1e-3, "", "smoothing width of both thresholds, relative to the threshold",
                      low=0.0, high=0.05, low_open=True),
            Parameter("s0", 0.0, "", "state at t = 0 (0 = OFF)", low=0.0, high=1.0),
        ),
        equations=_ts_equations,
        drive=HysteresisDrive(kind="voltage", amplitude=0.8, freqs_hz=(1e3, 1e4, 1e5)),
        constraints=_ts_constraints,
        traps=(
            "A selector in series with a load much larger than r_off_s never snaps: the voltage across it stays "
            "near v_th while its state creeps up (load line through the OFF branch). A drive that sweeps through "
            "a threshold within a few tau delays the switching point by about the voltage swept in tau·ln 2. In "
            "an operating point (.op) the state inside the hold band is set by the 1e-12 S leak towards s0."
        ),
    )
)
