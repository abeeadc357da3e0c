"""Read conductance of a catalog memristor, and the state that gives a target conductance.

Every model of the catalog is voltage-controlled, ``i = f(v, x)``, so its read conductance
at a read voltage ``v_read`` is ``G(x) = f(v_read, x)/v_read``. This module evaluates the
model's own current expression (the parsed tree of :mod:`memspice.spicelib.expressions`,
helpers inlined, with numpy, the same functions as the ngspice and Verilog-A renderings) on
arrays of states, and inverts it by bisection over the model's state bounds: 64 halvings
of the bracket, so the state is exact to the last bit whenever G(x) is strictly monotonic
there, which is checked on a 1025-point grid first. The bisection is vectorised: a
512×512 target matrix takes about a second.

Closed forms, for reference (the bisection reproduces them):

==============  ===================================  ==================================
model           G(x) at v_read                       x for a target G
==============  ===================================  ==================================
hp              1/(ron·x + roff·(1−x))               (roff − 1/G)/(roff − ron)
vteam, team     1/(ron + (roff − ron)·x) (linear)    (1/G − ron)/(roff − ron)
(exponential)   1/(ron·exp(ln(roff/ron)·x))          ln(1/(G·ron))/ln(roff/ron)
mms             x/ron + (1 − x)/roff                 (G − 1/roff)/(1/ron − 1/roff)
yakopcic        a·x·sinh(b·v)/v (a = a1, v > 0)      G·v/(a·sinh(b·v))
stanford_pku    i0·exp(−g/g0)·sinh(v/v0)/v           −g0·ln(G·v/(i0·sinh(v/v0)))
==============  ===================================  ==================================

Models with an unbounded state (``chua``, ``ideal_flux``: their G(x) is even in x) are not
supported: :class:`~memspice.errors.ParameterError` says so.
"""

from __future__ import annotations

import ast
from typing import Any, Callable, Mapping

import numpy as np

from memspice.errors import ParameterError
from memspice.spicelib.catalog import MemristorModel, ParamValue

#: Halvings of the state bracket: 2^-64 of any bracket is below one ulp of the state.
BISECTION_STEPS = 64
#: Grid on which G(x) must be strictly monotonic before it is inverted.
MONOTONIC_GRID = 1025

_FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "abs": np.abs, "sqrt": np.sqrt, "exp": np.exp, "ln": np.log, "log10": np.log10,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "atan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "pow": np.power, "min": np.minimum, "max": np.maximum,
    "u": lambda z: np.where(z > 0, 1.0, 0.0),
}


def current_function(model: MemristorModel, values: Mapping[str, ParamValue],
                     cell_values: Mapping[str, np.ndarray] | None = None) -> Callable[[object, object], np.ndarray]:
    """``f(v, x)``: the model's device current (A) at voltage ``v`` (V) and state ``x``, numpy-broadcast;
    ``cell_values`` (name -> array shaped like ``x``) replace parameters cell by cell.

    Raises
    ------
    ParameterError
        for a current-controlled model (``v = f(i, x)``), which has no such function.
    """
    resolved = model.resolve(values)
    parsed = model.parse(resolved)
    if parsed.equations.controlled_by != "voltage":
        raise ParameterError(f"model {model.name} is current-controlled (v = f(i, x)); only voltage-controlled "
                             "models (i = f(v, x)) have a read conductance here")
    parameters: dict[str, Any] = {key: float(value) for key, value in model.numeric(resolved).items()}
    parameters.update({key: np.asarray(value, dtype=np.float64) for key, value in (cell_values or {}).items()})
    randoms = {random.name: 0.0 for random in parsed.equations.random_inputs}
    helpers = {helper.name: (helper.args, body) for helper, body in parsed.helpers}

    def current(v: object, x: object) -> np.ndarray:
        scope = {**parameters, **randoms, "v": np.asarray(v, dtype=np.float64), "x": np.asarray(x, dtype=np.float64)}
        with np.errstate(all="ignore"):
            return np.asarray(_evaluate(parsed.output, scope, helpers), dtype=np.float64)

    return current


def read_conductance(model: MemristorModel, values: Mapping[str, ParamValue], state: object,
                     *, v_read_V: float, cell_values: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """Read conductance ``i(v_read, x)/v_read`` (S) of every state in ``state`` (any shape), with
    per-cell parameters ``cell_values`` (arrays shaped like ``state``) where given."""
    v_read = _read_voltage(v_read_V)
    return current_function(model, values, cell_values)(v_read, state) / v_read


def state_for_conductance(model: MemristorModel, values: Mapping[str, ParamValue], conductance_S: object,
                          *, v_read_V: float) -> np.ndarray:
    """The state of each cell whose read conductance at ``v_read_V`` equals ``conductance_S``.

    ``conductance_S`` has any shape (S); the result has the same shape, inside the model's
    state bounds.

    Raises
    ------
    ParameterError
        for a model without state bounds, a G(x) that is not strictly monotonic between
        them, a zero or non-finite read voltage, or a target outside the reachable range
        (the message names the first such entry and the range).
    """
    v_read = _read_voltage(v_read_V)
    if model.state_bounds is None:
        raise ParameterError(f"model {model.name} has an unbounded state; state_for_conductance needs a model "
                             "with state bounds (hp, vteam, team, mms, yakopcic, stanford_pku, ...)")
    target = np.asarray(conductance_S, dtype=np.float64)
    if not np.isfinite(target).all():
        index = _index(int(np.argmax(~np.isfinite(target))), target.shape)
        raise ParameterError(f"conductance_S{list(index)}={float(target[index])!r} is not finite")
    low, high = (float(bound) for bound in model.state_bounds)
    current = current_function(model, values)

    def conductance(x: np.ndarray) -> np.ndarray:
        return current(v_read, x) / v_read

    grid = conductance(np.linspace(low, high, MONOTONIC_GRID))
    steps = np.diff(grid)
    if not np.isfinite(grid).all() or not ((steps > 0).all() or (steps < 0).all()):
        raise ParameterError(f"model {model.name}: the read conductance at {v_read:g} V is not strictly monotonic "
                             f"in the state over [{low:g}, {high:g}], so a state cannot be chosen from G")
    increasing = bool(steps[0] > 0)
    g_min, g_max = float(grid.min()), float(grid.max())
    outside = (target < g_min * (1 - 1e-12)) | (target > g_max * (1 + 1e-12))
    if outside.any():
        index = _index(int(np.argmax(outside)), target.shape)
        raise ParameterError(
            f"conductance_S{list(index)}={float(target[index]):g} S cannot be read from model {model.name} at "
            f"{v_read:g} V; its states reach [{g_min:g}, {g_max:g}] S"
        )
    lo = np.full(target.shape, low)
    hi = np.full(target.shape, high)
    for _ in range(BISECTION_STEPS):
        middle = 0.5 * (lo + hi)
        below = conductance(middle) < target
        move_up = below if increasing else ~below
        lo = np.where(move_up, middle, lo)
        hi = np.where(move_up, hi, middle)
    return 0.5 * (lo + hi)


def _index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(k) for k in np.unravel_index(flat, shape)) if shape else ()


def _read_voltage(v_read_V: float) -> float:
    if isinstance(v_read_V, bool) or not isinstance(v_read_V, (int, float, np.floating)) \
            or not np.isfinite(v_read_V) or v_read_V == 0:
        raise ParameterError(f"v_read_V={v_read_V!r} is not allowed; use a finite, non-zero read voltage (V)")
    return float(v_read_V)


def _evaluate(node: ast.expr, scope: Mapping[str, object],
              helpers: Mapping[str, tuple[tuple[str, ...], ast.expr]]) -> object:
    """Value of a checked expression tree (see :func:`memspice.spicelib.expressions.parse`)."""
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return scope[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, scope, helpers)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left = _evaluate(node.left, scope, helpers)
        right = _evaluate(node.right, scope, helpers)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.Div):
            return left / right
        return np.power(left, right)
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        args = [_evaluate(argument, scope, helpers) for argument in node.args]
        if name in helpers:
            params, body = helpers[name]
            # A helper sees the model's parameters and its own arguments.
            inner = {key: value for key, value in scope.items() if key not in ("v", "x", "i")}
            inner.update(zip(params, args))
            return _evaluate(body, inner, helpers)
        return _FUNCTIONS[name](*args)
    raise ParameterError(f"cannot evaluate {type(node).__name__} in a model expression")
