"""The model catalog: every memristor model's parameters, units, ranges and equations, in one place.

A model is data (:class:`MemristorModel`) plus one function that turns validated parameter
values into equations (:class:`ModelEquations`). :func:`memristor_subcircuit` renders any
model into the same ngspice subcircuit shape, in the style of a Verilog-A compact model::

    .subckt memspice_<model>[_<variant>] pos neg params: ...
    .func ...                      helper functions of the model (readable equations)
    Bmem pos neg I=<i(v, x)>       the device current, pos -> neg
    Cstate xstate 0 1 ic={x0}      the state x is the voltage of a 1 F capacitor ...
    Bstate 0 xstate I=<dx/dt>      ... charged at dx/dt, so V(xstate) = x(t)
    .ends

Keeping the state on a node means it is saved with the waveforms and restored with an
initial condition (``ic=`` / ``.ic``), which co-simulation loops rely on.

Adding a model is one change: write its equations function and one ``register(...)`` call
(see :mod:`memspice.spicelib.memristors`).
"""

from __future__ import annotations

import ast
import math
import types
from dataclasses import dataclass, field
from typing import Callable, Iterable, Literal, Mapping

from memspice.errors import ParameterError
from memspice.netlist import BehaviouralSource, Capacitor, Dc, Expr, Function, SubcircuitDefinition, VoltageSource
from memspice.spicelib.expressions import Helper, Scope, parse, render_ngspice
from memspice.units import parse_spice_number

ParamValue = float | str

#: The subcircuit's pins (positive current flows into ``pos``) and its state node.
PINS = ("pos", "neg")
STATE_NODE = "xstate"
#: Conductance (S) from the state node to its initial value: gives the node a DC path so
#: operating points are not singular, yet with 1 F its time constant is 1e12 s.
STATE_LEAK_S = 1e-12


@dataclass(frozen=True)
class Parameter:
    """One model parameter: SI default, unit, allowed range (or choices), one-line doc."""

    name: str
    default: ParamValue
    unit: str
    doc: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()

    @property
    def is_choice(self) -> bool:
        """True for word-valued parameters that select a variant of the equations."""
        return bool(self.choices)

    @property
    def bounds(self) -> tuple[float, float]:
        """``(low, high)`` as numbers, ±inf where the range is open-ended (open/closed ends not told apart)."""
        return (-math.inf if self.low is None else self.low, math.inf if self.high is None else self.high)

    def range_text(self) -> str:
        """The allowed values as a human reads them, e.g. ``(0, 1e+09] Ω`` or ``one of none, biolek``."""
        if self.is_choice:
            return "one of " + ", ".join(self.choices)
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        left = "(" if self.low is None or self.low_open else "["
        right = ")" if self.high is None or self.high_open else "]"
        return f"{left}{low}, {high}{right}" + (f" {self.unit}" if self.unit else "")

    def validate(self, value: object, *, model: str) -> ParamValue:
        """Return ``value`` checked against this parameter's type and range, or raise ParameterError."""
        where = f"{model}.{self.name}"
        if self.is_choice:
            if not isinstance(value, str) or value.lower() not in self.choices:
                raise ParameterError(f"{where}={value!r} is not allowed; use {self.range_text()}")
            return value.lower()
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(f"{where}={value!r} is not a number; allowed {self.range_text()}")
        number = float(value)
        if not math.isfinite(number):
            raise ParameterError(f"{where}={value!r} is not finite; allowed {self.range_text()}")
        too_low = self.low is not None and (number < self.low or (self.low_open and number == self.low))
        too_high = self.high is not None and (number > self.high or (self.high_open and number == self.high))
        if too_low or too_high:
            raise ParameterError(f"{where}={number:g} is outside the allowed range {self.range_text()}")
        return number


@dataclass(frozen=True)
class HysteresisDrive:
    """The drive a model's hysteresis study uses by default: kind, amplitude (V or A), frequencies (Hz)."""

    kind: Literal["voltage", "current"]
    amplitude: float
    freqs_hz: tuple[float, ...]


@dataclass(frozen=True)
class RandomInput:
    """A standard normal random signal the equations may read by ``name`` (cycle-to-cycle variation).

    ξ ~ N(0, 1), held for ``interval`` seconds and then drawn anew; ``interval`` and ``seed``
    name numeric parameters of the model. In ngspice the draw is a counter-based generator
    in a B-source: k = floor(time/interval) is hashed with the seed into two uniforms
    (u = frac(sin(a·k + b·seed)·c)) and Box–Muller turns them into ξ. It needs no
    ``.options seed``, gives the same sequence on every run (reproducible) and a different
    one per seed (independent devices). Over 2e5 draws: mean −0.005, σ 1.000, lag-1
    correlation below 4e-3. ngspice's ``trrandom`` would need a source waveform the netlist
    layer does not have. Simulators without it (the Verilog-A export: OpenVAF has no
    ``$rdist_normal``) read ξ as 0, so a model must reduce to its deterministic equations
    when every random input is 0.
    """

    name: str
    interval: str
    seed: str

    def ngspice_expression(self) -> str:
        """The B-source expression of ξ(time) in the subcircuit (parameters by name)."""
        k = f"floor(time/{self.interval})"

        def uniform(a: str, b: str, c: str) -> str:
            z = f"sin({k}*{a} + {self.seed}*{b})*{c}"
            return f"({z} - floor({z}))"

        u1 = f"(1 - {uniform('12.9898', '78.233', '43758.5453')})"
        u2 = uniform("93.9898", "67.345", "24634.6345")
        return f"sqrt(-2*ln({u1}))*cos(6.283185307179586*{u2})"


@dataclass(frozen=True)
class ModelEquations:
    """A model's equations in the expression language of :mod:`memspice.spicelib.expressions`.

    Voltage-controlled form (``current`` set): ``i = current(v, x)``, ``dx/dt = state_rate(v, x)``.
    Current-controlled form (``voltage`` set): ``v = voltage(i, x)``, ``dx/dt = state_rate(i, x)``;
    the subcircuit then senses its own current with a 0 V source.
    ``v`` is the device voltage (V), ``i`` the device current (A), ``x`` the state; each
    :class:`RandomInput` of ``random_inputs`` is one more variable (0 outside ngspice).
    """

    state_rate: str
    current: str | None = None
    voltage: str | None = None
    helpers: tuple[Helper, ...] = ()
    comments: tuple[str, ...] = ()
    random_inputs: tuple[RandomInput, ...] = ()

    def __post_init__(self) -> None:
        if (self.current is None) == (self.voltage is None):
            raise ValueError("ModelEquations needs exactly one of current= (voltage-controlled) or voltage= (current-controlled)")

    @property
    def controlled_by(self) -> str:
        """``"voltage"`` when the model gives i(v, x), ``"current"`` when it gives v(i, x)."""
        return "voltage" if self.current is not None else "current"

    @property
    def input_variable(self) -> str:
        return "v" if self.current is not None else "i"


@dataclass(frozen=True)
class ParsedEquations:
    """Checked expression trees of one model variant, ready to render for any simulator."""

    equations: ModelEquations
    output: ast.expr
    state_rate: ast.expr
    helpers: tuple[tuple[Helper, ast.expr], ...]


def parse_equations(equations: ModelEquations, parameter_names: Iterable[str], *, model: str) -> ParsedEquations:
    """Parse and check every expression of ``equations`` against the model's names."""
    parameters = frozenset(parameter_names)
    helpers: list[tuple[Helper, ast.expr]] = []
    arities: dict[str, int] = {}
    for helper in equations.helpers:
        scope = Scope(frozenset(helper.args), parameters, dict(arities))
        helpers.append((helper, parse(helper.body, scope, what=f"{model} helper {helper.name}()")))
        arities[helper.name] = len(helper.args)
    for random in equations.random_inputs:
        if random.name in parameters or random.name in ("v", "i", "x"):
            raise ParameterError(f"{model}: random input {random.name!r} collides with a parameter or variable name")
        for role, pname in (("interval", random.interval), ("seed", random.seed)):
            if pname not in parameters:
                raise ParameterError(
                    f"{model}: random input {random.name!r} takes its {role} from {pname!r}, which is not a numeric parameter"
                )
    randoms = {random.name for random in equations.random_inputs}
    scope = Scope(frozenset({equations.input_variable, "x", *randoms}), parameters, arities)
    output_text = equations.current if equations.current is not None else equations.voltage
    output = parse(output_text or "", scope, what=f"{model} {'current' if equations.current else 'voltage'}")
    rate = parse(equations.state_rate, scope, what=f"{model} state rate")
    return ParsedEquations(equations, output, rate, tuple(helpers))


EquationsBuilder = Callable[[Mapping[str, ParamValue]], ModelEquations]
ConstraintCheck = Callable[[Mapping[str, ParamValue]], None]


def greater_than(model: str, larger: str, smaller: str, unit: str = "Ω") -> ConstraintCheck:
    """A cross-parameter rule ``values[larger] > values[smaller]`` (e.g. roff above ron)."""

    def check(values: Mapping[str, ParamValue]) -> None:
        if float(values[larger]) <= float(values[smaller]):
            raise ParameterError(
                f"{model}: {larger}={float(values[larger]):g} {unit} must be greater than "
                f"{smaller}={float(values[smaller]):g} {unit}"
            )

    return check


@dataclass(frozen=True)
class MemristorModel:
    """A memristor compact model: catalog data plus the function that writes its equations.

    ``state_initial`` names the parameter that holds the state at t = 0 (``x0`` or ``q0``-like).
    ``state_bounds`` are the physical bounds of the state (None where it is unbounded, e.g. charge).
    """

    name: str
    title: str
    kind: str
    citation: str
    doc: str
    state_name: str
    state_unit: str
    state_initial: str
    state_bounds: tuple[float, float] | None
    parameters: tuple[Parameter, ...]
    equations: EquationsBuilder
    drive: HysteresisDrive
    constraints: ConstraintCheck | None = None
    traps: str = ""
    _by_name: dict[str, Parameter] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {p.name: p for p in self.parameters})
        if self.state_initial not in self._by_name:
            raise ValueError(f"model {self.name}: state_initial {self.state_initial!r} is not a parameter")

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name``; ParameterError listing the known names otherwise."""
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self._by_name)
            raise ParameterError(f"model {self.name!r} has no parameter {name!r}; its parameters are: {known}") from None

    def defaults(self) -> dict[str, ParamValue]:
        """Every parameter at its default value."""
        return {p.name: p.default for p in self.parameters}

    def resolve(self, overrides: Mapping[str, object] | None = None) -> dict[str, ParamValue]:
        """Defaults updated by ``overrides``, every value range-checked, cross-parameter rules applied."""
        values: dict[str, object] = dict(self.defaults())
        for key, value in (overrides or {}).items():
            self.parameter(key)
            values[key] = value
        checked = {p.name: p.validate(values[p.name], model=self.name) for p in self.parameters}
        if self.constraints is not None:
            self.constraints(checked)
        return checked

    def parse_overrides(self, overrides: Mapping[str, object]) -> dict[str, object]:
        """``overrides`` with text for numeric parameters (as typed on a command line or in TOML,
        ``"16k"``) parsed with SPICE suffixes; unknown names refused, other values unchanged."""
        parsed: dict[str, object] = {}
        for name, value in overrides.items():
            parameter = self.parameter(name)
            if isinstance(value, str) and not parameter.is_choice:
                value = parse_spice_number(value, name=f"{self.name}.{name}")
            parsed[name] = value
        return parsed

    def resolve_text(self, overrides: Mapping[str, object] | None = None) -> Mapping[str, ParamValue]:
        """:meth:`resolve` of overrides that may be text (:meth:`parse_overrides`), read-only."""
        return types.MappingProxyType(self.resolve(self.parse_overrides(overrides or {})))

    def subcircuit_name(self, values: Mapping[str, ParamValue]) -> str:
        """``memspice_<model>`` plus one suffix per word-valued parameter (each variant is its own subcircuit)."""
        suffix = "".join(f"_{values[p.name]}" for p in self.parameters if p.is_choice)
        return f"memspice_{self.name}{suffix}"

    def parse(self, values: Mapping[str, ParamValue]) -> ParsedEquations:
        """The checked expression trees of the variant selected by ``values``."""
        numeric_names = [p.name for p in self.parameters if not p.is_choice]
        return parse_equations(self.equations(values), numeric_names, model=self.name)

    def numeric(self, values: Mapping[str, ParamValue]) -> dict[str, float]:
        """Only the numeric parameters (those passed to the subcircuit instance)."""
        return {p.name: float(values[p.name]) for p in self.parameters if not p.is_choice}


#: How each model variable is spelled inside the ngspice subcircuit.
NGSPICE_VARIABLES = {"v": "V(pos,neg)", "x": f"V({STATE_NODE})", "i": "i(vsense)"}


def memristor_subcircuit(model: MemristorModel, values: Mapping[str, ParamValue]) -> SubcircuitDefinition:
    """Render ``model`` with resolved ``values`` as an ngspice subcircuit (pins ``pos neg``)."""
    parsed = model.parse(values)
    equations = parsed.equations
    x0 = model.state_initial
    header = [
        f"{model.title} ({model.kind})",
        model.citation,
        f"state {model.state_name} [{model.state_unit}] = V({STATE_NODE}); current flows pos -> neg",
        *equations.comments,
    ]
    functions = tuple(
        Function(helper.name, helper.args, Expr(render_ngspice(body, {}))) for helper, body in parsed.helpers
    )
    variables = dict(NGSPICE_VARIABLES)
    randoms = tuple(
        BehaviouralSource(f"rnd_{random.name}", f"rnd_{random.name}", "0", Expr(random.ngspice_expression()), kind="V")
        for random in equations.random_inputs
    )
    variables.update({random.name: f"V(rnd_{random.name})" for random in equations.random_inputs})
    output = render_ngspice(parsed.output, variables)
    rate = render_ngspice(parsed.state_rate, variables)
    if equations.controlled_by == "voltage":
        device: tuple = (BehaviouralSource("mem", "pos", "neg", Expr(output)),)
    else:
        # v = R(x, i)*i needs the device current as an input: a 0 V source senses it.
        device = (
            VoltageSource("sense", "pos", "mid", Dc(0.0)),
            BehaviouralSource("mem", "mid", "neg", Expr(output), kind="V"),
        )
    elements = (
        *device,
        *randoms,
        Capacitor("state", STATE_NODE, "0", 1.0, ic_v=Expr(x0)),
        BehaviouralSource("state", "0", STATE_NODE, Expr(f"{rate} - {STATE_LEAK_S:g}*(V({STATE_NODE})-{x0})")),
    )
    return SubcircuitDefinition(
        name=model.subcircuit_name(values),
        pins=PINS,
        params=model.numeric(values),
        elements=elements,
        functions=functions,
        comments=tuple(header),
    )


_REGISTRY: dict[str, MemristorModel] = {}


def check_model(model: MemristorModel) -> None:
    """Check what :func:`register` checks, without registering: parameter names clear of the
    subcircuit's node names, defaults in range, every variant's equations parseable.

    Other registries of two-terminal one-state devices built on :class:`MemristorModel`
    (the selectors of :mod:`memspice.spicelib.selector`) call it too.
    """
    for parameter in model.parameters:
        if parameter.name in PINS or parameter.name == STATE_NODE:
            raise ValueError(f"model {model.name}: parameter {parameter.name!r} collides with a node name")
        if not parameter.is_choice:
            parameter.validate(parameter.default, model=model.name)
    for values in variants(model):
        model.parse(values)  # every variant's equations must parse against its own names


def register(model: MemristorModel) -> MemristorModel:
    """Add ``model`` to the catalog (names must be unique and safe as SPICE names)."""
    if model.name in _REGISTRY:
        raise ValueError(f"memristor model {model.name!r} is registered twice")
    check_model(model)
    _REGISTRY[model.name] = model
    return model


def get_model(name: str) -> MemristorModel:
    """The model called ``name``; ParameterError listing the catalog otherwise."""
    _load_models()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ParameterError(f"unknown memristor model {name!r}; available: {', '.join(sorted(_REGISTRY))}") from None


def lookup_model(
    value: object, *, path: str, lookup: Callable[[str], MemristorModel] | None = None,
    allowed: str = "a model name from `memspice models` or a MemristorModel",
) -> MemristorModel:
    """The model a config field names: a :class:`MemristorModel` as it is, a name through
    ``lookup`` (default :func:`get_model`); ConfigError naming the field ``path`` otherwise."""
    if isinstance(value, MemristorModel):
        return value
    if isinstance(value, str):
        return (lookup or get_model)(value)
    from memspice.config import ConfigError

    raise ConfigError(path, value, allowed)


def all_models() -> list[MemristorModel]:
    """Every model in the catalog, sorted by name."""
    _load_models()
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def _load_models() -> None:
    # Imported lazily so the catalog module itself has no import-time side effects.
    import memspice.spicelib.generic  # noqa: F401
    import memspice.spicelib.memristors  # noqa: F401
    import memspice.spicelib.mms  # noqa: F401
    import memspice.spicelib.rram  # noqa: F401
    import memspice.spicelib.team  # noqa: F401
    import memspice.spicelib.yakopcic  # noqa: F401


def variants(model: MemristorModel) -> list[dict[str, ParamValue]]:
    """The defaults combined with every choice of every word-valued parameter."""
    combos: list[dict[str, ParamValue]] = [model.defaults()]
    for parameter in model.parameters:
        if parameter.is_choice:
            combos = [{**combo, parameter.name: choice} for combo in combos for choice in parameter.choices]
    return combos
