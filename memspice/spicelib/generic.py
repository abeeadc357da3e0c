"""User-defined memristors of the six textbook classes, from expressions (Chua's table, DOMAIN §1).

| class                    | controlled by | the user gives        | the model                         |
|--------------------------|---------------|-----------------------|-----------------------------------|
| ``generic_current``      | current       | R(x, i), f(x, i)      | v = R(x, i)·i,  dx/dt = f(x, i)   |
| ``generic_voltage``      | voltage       | G(x, v), g(x, v)      | i = G(x, v)·v,  dx/dt = g(x, v)   |
| ``ideal_generic_current``| current       | R(x), f(x)            | v = R(x)·i,     dx/dt = f(x)·i    |
| ``ideal_generic_voltage``| voltage       | G(x), g(x)            | i = G(x)·v,     dx/dt = g(x)·v    |
| ``ideal_charge``         | current       | M(q)                  | v = M(q)·i,     dq/dt = i         |
| ``ideal_flux``           | voltage       | W(φ)                  | i = W(φ)·v,     dφ/dt = v         |

(L. O. Chua, IEEE Trans. Circuit Theory 18(5):507, 1971; L. O. Chua, S. M. Kang, Proc. IEEE
64(2):209, 1976.) The class decides which variables each expression may use, so an
ideal memristor cannot depend on the input by mistake. The state is ``x`` in every class; the
ideal classes also accept ``q`` (charge, C) or ``phi`` (flux, V·s) as its name.

Current-controlled classes use the current-controlled form of
:class:`~memspice.spicelib.catalog.ModelEquations` (``v = ...``, the subcircuit senses its
own current); voltage-controlled ones the conductance form (``i = ...``).

>>> from memspice.spicelib.generic import define_memristor
>>> model = define_memristor(
...     "my_flux", "ideal_flux", output_expr="g0*(1 + (phi/phi0)**2)",
...     parameters={"g0": (1e-3, "S", 0.0, 1.0, "conductance at zero flux"),
...                 "phi0": (0.1, "V·s", 1e-9, 1e3, "flux scale")})
>>> model.name, model.state_name
('my_flux', 'phi')

Every expression passes the validator of :mod:`memspice.spicelib.expressions` when the model
is defined: unknown names, strings, attribute access or unbalanced brackets raise
:class:`~memspice.spicelib.expressions.ExpressionError` before any netlist exists.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Literal, Mapping

from memspice.errors import ParameterError
from memspice.spicelib.catalog import PINS, STATE_NODE, HysteresisDrive, MemristorModel, ModelEquations, Parameter
from memspice.spicelib.catalog import register as register_model
from memspice.spicelib.expressions import FUNCTIONS, ExpressionError, Scope, parse

MemristorClass = Literal[
    "generic_current", "generic_voltage", "ideal_generic_current", "ideal_generic_voltage", "ideal_charge", "ideal_flux"
]


@dataclass(frozen=True)
class _ClassSpec:
    """What one class lets the user write and how it assembles the equations."""

    controlled_by: Literal["voltage", "current"]
    output_variables: frozenset[str]
    rate_variables: frozenset[str] | None  # None: the rate is fixed by the class
    output: str  # the model's output with {out} for the user's expression
    rate: str  # the state rate with {rate} for the user's expression
    state_name: str
    state_unit: str
    kind: str
    output_name: str
    rate_name: str


_CLASSES: dict[str, _ClassSpec] = {
    "generic_current": _ClassSpec(
        "current", frozenset({"x", "i"}), frozenset({"x", "i"}), "({out})*i", "{rate}", "x", "",
        "generic memristor, current-controlled", "R(x, i)", "f(x, i)",
    ),
    "generic_voltage": _ClassSpec(
        "voltage", frozenset({"x", "v"}), frozenset({"x", "v"}), "({out})*v", "{rate}", "x", "",
        "generic memristor, voltage-controlled", "G(x, v)", "g(x, v)",
    ),
    "ideal_generic_current": _ClassSpec(
        "current", frozenset({"x"}), frozenset({"x"}), "({out})*i", "({rate})*i", "x", "",
        "ideal generic memristor, current-controlled", "R(x)", "f(x)",
    ),
    "ideal_generic_voltage": _ClassSpec(
        "voltage", frozenset({"x"}), frozenset({"x"}), "({out})*v", "({rate})*v", "x", "",
        "ideal generic memristor, voltage-controlled", "G(x)", "g(x)",
    ),
    "ideal_charge": _ClassSpec(
        "current", frozenset({"x", "q"}), None, "({out})*i", "i", "q", "C",
        "ideal memristor, charge-controlled", "M(q)", "",
    ),
    "ideal_flux": _ClassSpec(
        "voltage", frozenset({"x", "phi"}), None, "({out})*v", "v", "phi", "V·s",
        "ideal memristor, flux-controlled", "W(phi)", "",
    ),
}

#: Memristor classes :func:`define_memristor` accepts.
CLASSES: tuple[str, ...] = tuple(_CLASSES)

#: Names a user parameter may not take: the model's variables, the subcircuit's nodes, the
#: functions of the expression language and names ngspice reads specially in expressions.
RESERVED_NAMES = frozenset(
    {"v", "i", "x", "q", "phi", *PINS, STATE_NODE, "vsense", "time", "temper", "hertz", "pi", "e", "gmin", "params"}
    | set(FUNCTIONS)
)

ParameterSpec = tuple[float, str, float, float, str]


def _state_alias_rewrite(tree: ast.expr, alias: str) -> str:
    """The expression as text, with the class's own state name (``q``/``phi``) renamed to ``x``."""

    class _Rename(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.Name:
            return ast.Name("x") if node.id == alias else node

    return ast.unparse(_Rename().visit(tree))


def _parameters(name: str, specs: Mapping[str, ParameterSpec]) -> list[Parameter]:
    parameters = []
    for pname, spec in specs.items():
        if not isinstance(pname, str) or not pname.isidentifier() or not pname.isascii() or pname.lower() != pname:
            raise ParameterError(
                f"memristor {name!r}: parameter name {pname!r} must be a lower-case identifier (letters, digits, _)"
            )
        if pname in RESERVED_NAMES:
            raise ParameterError(
                f"memristor {name!r}: parameter name {pname!r} is reserved; avoid {', '.join(sorted(RESERVED_NAMES))}"
            )
        if not isinstance(spec, tuple) or len(spec) != 5:
            raise ParameterError(
                f"memristor {name!r}: parameter {pname!r} must be (default, unit, low, high, doc); got {spec!r}"
            )
        default, unit, low, high, doc = spec
        for label, number in (("default", default), ("low", low), ("high", high)):
            if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
                raise ParameterError(f"memristor {name!r}: parameter {pname!r} {label}={number!r} is not a finite number")
        if low > high:
            raise ParameterError(f"memristor {name!r}: parameter {pname!r} has low={low:g} > high={high:g}")
        parameter = Parameter(pname, float(default), str(unit), str(doc), low=float(low), high=float(high))
        parameter.validate(parameter.default, model=name)
        parameters.append(parameter)
    return parameters


def define_memristor(
    name: str,
    cls: MemristorClass,
    *,
    output_expr: str,
    rate_expr: str | None = None,
    parameters: Mapping[str, ParameterSpec] | None = None,
    state_initial: float | str = 0.0,
    state_bounds: tuple[float, float] | None = None,
    drive: HysteresisDrive | None = None,
    title: str | None = None,
    citation: str = "user-defined",
    traps: str = "",
    register: bool = False,
) -> MemristorModel:
    """A memristor of class ``cls`` from expressions, checked now and ready to place in a netlist.

    Parameters
    ----------
    name:
        Model name: lower-case letters, digits, ``_``, starting with a letter; the subcircuit is
        ``memspice_<name>``.
    cls:
        One of :data:`CLASSES` (see the module table). It fixes which variables each expression
        may use: ``x`` (state), ``i`` (current, A) or ``v`` (voltage, V); ``q``/``phi`` are
        accepted as the state's name in ``ideal_charge``/``ideal_flux``.
    output_expr:
        R (Ω) for current-controlled classes, G (S) for voltage-controlled ones, M(q) (Ω) or
        W(φ) (S) for the ideal ones; the class multiplies it by the input.
    rate_expr:
        f or g of the table (state units per second, or per coulomb / per volt-second for the
        ideal generic classes); must be None for ``ideal_charge``/``ideal_flux``, whose rate is
        fixed (dq/dt = i, dφ/dt = v).
    parameters:
        ``{name: (default, unit, low, high, doc)}``, SI values; names are lower-case identifiers
        outside :data:`RESERVED_NAMES`.
    state_initial:
        The state at t = 0: a number (a parameter ``<state>_init`` is added, ranged by
        ``state_bounds`` or ±1e12) or the name of one of ``parameters``.
    state_bounds:
        Physical bounds of the state, for reports and tests (the equations must enforce them;
        nothing is clipped here), or None for an unbounded state.
    drive:
        The recommended hysteresis drive; default: the class's input (current or voltage),
        amplitude 1 (A or V), at 0.1, 1, 10 Hz.
    title, citation, traps:
        Text for the subcircuit header and reports (``traps``: numerical pitfalls of the model).
    register:
        Also add the model to the catalog (``get_model(name)``, ``memspice models``, the CLI).

    Raises
    ------
    ExpressionError
        for an expression that is not valid in the model language or uses a variable its class
        does not allow; raised before any netlist exists.
    ParameterError
        for a bad name, class, parameter spec or initial state.
    """
    if not isinstance(name, str) or not name.isidentifier() or not name.isascii() or name.lower() != name:
        raise ParameterError(f"memristor name {name!r} must be a lower-case identifier (letters, digits, _)")
    if cls not in _CLASSES:
        raise ParameterError(f"memristor {name!r}: class {cls!r} is not allowed; use one of {', '.join(CLASSES)}")
    for label, text in (("title", title), ("citation", citation), ("traps", traps)):
        if text is not None and (not isinstance(text, str) or "\n" in text or "\r" in text):
            raise ParameterError(f"memristor {name!r}: {label} must be one line of text; got {text!r}")
    spec = _CLASSES[cls]
    params = _parameters(name, parameters or {})
    names = frozenset(p.name for p in params)

    alias = spec.state_name if spec.state_name != "x" else None
    scope = Scope(spec.output_variables, names, {})
    output_tree = parse(output_expr, scope, what=f"{name} ({cls}) {spec.output_name}")
    if spec.rate_variables is None:
        if rate_expr is not None:
            raise ExpressionError(
                f"{name} ({cls}): the state rate is fixed by the class ({spec.state_name} integrates the input); "
                "leave rate_expr out"
            )
        rate_text = spec.rate
    else:
        if rate_expr is None:
            raise ExpressionError(f"{name} ({cls}): rate_expr is required: write {spec.rate_name} as an expression")
        rate_tree = parse(rate_expr, Scope(spec.rate_variables, names, {}), what=f"{name} ({cls}) {spec.rate_name}")
        rate_text = spec.rate.format(rate=ast.unparse(rate_tree))
    output_text = spec.output.format(out=_state_alias_rewrite(output_tree, alias) if alias else ast.unparse(output_tree))

    if isinstance(state_initial, str):
        if state_initial not in names:
            raise ParameterError(
                f"memristor {name!r}: state_initial={state_initial!r} is not one of its parameters ({', '.join(sorted(names))})"
            )
        initial_name = state_initial
    else:
        initial_name = f"{spec.state_name}_init"
        if initial_name in names:
            raise ParameterError(f"memristor {name!r}: parameter {initial_name!r} is added for the initial state; rename yours")
        low, high = state_bounds if state_bounds is not None else (-1e12, 1e12)
        params.append(Parameter(initial_name, float(state_initial), spec.state_unit, "state at t = 0", low=low, high=high))
    if state_bounds is not None and not (
        len(state_bounds) == 2 and all(math.isfinite(b) for b in state_bounds) and state_bounds[0] < state_bounds[1]
    ):
        raise ParameterError(f"memristor {name!r}: state_bounds={state_bounds!r} must be (low, high) with low < high")

    equations = (
        ModelEquations(voltage=output_text, state_rate=rate_text)
        if spec.controlled_by == "current"
        else ModelEquations(current=output_text, state_rate=rate_text)
    )
    input_unit = "A" if spec.controlled_by == "current" else "V"
    summary = f"{'v' if spec.controlled_by == 'current' else 'i'} = {spec.output_name}·{'i' if spec.controlled_by == 'current' else 'v'}"
    rate_summary = spec.rate.format(rate=spec.rate_name).replace("*", "·")
    model = MemristorModel(
        name=name,
        title=title or f"user-defined {spec.kind}",
        kind=spec.kind,
        citation=citation,
        doc=(
            f"{summary} with {spec.output_name} = {output_expr.strip()}; d{spec.state_name}/dt = "
            f"{rate_summary if spec.rate_variables is not None else spec.rate}"
            + (f" with {spec.rate_name} = {rate_expr.strip()}" if rate_expr else "")
        ),
        state_name=spec.state_name,
        state_unit=spec.state_unit,
        state_initial=initial_name,
        state_bounds=state_bounds,
        parameters=tuple(params),
        equations=lambda values, _equations=equations: _equations,
        drive=drive or HysteresisDrive(kind=spec.controlled_by, amplitude=1.0, freqs_hz=(0.1, 1.0, 10.0)),
        traps=traps or f"user-defined {spec.controlled_by}-controlled model (input in {input_unit})",
    )
    model.parse(model.defaults())  # the assembled equations must parse too (they do when the parts do)
    return register_model(model) if register else model


# --------------------------------------------------------------------------- ready-made example

IDEAL_FLUX = define_memristor(
    "ideal_flux",
    "ideal_flux",
    output_expr="g0*(1 + (phi/phi0)**2)",
    parameters={
        "g0": (1e-3, "S", 1e-15, 1e6, "memductance at zero flux"),
        "phi0": (0.1, "V·s", 1e-15, 1e6, "flux scale of the quadratic term"),
    },
    state_initial=0.0,
    drive=HysteresisDrive(kind="voltage", amplitude=1.0, freqs_hz=(1.0, 10.0, 100.0)),
    title="Ideal flux-controlled memristor, W(φ) = g0·(1 + (φ/φ0)²)",
    citation="L. O. Chua, IEEE Trans. Circuit Theory 18(5):507, 1971 (flux-controlled memristor)",
    traps="Flux is unbounded under a drive with a DC component; keep drives zero-mean.",
    register=True,
)
