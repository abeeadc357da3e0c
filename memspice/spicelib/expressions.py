"""Model equations as validated expression trees, rendered for ngspice and for Verilog-A.

A model's equations are written once, in a small arithmetic language (Python's expression
syntax restricted to numbers, names, ``+ - * / **``, parentheses and calls of a fixed set of
functions). The text is parsed with :mod:`ast`, every name is checked against the model's
own variables, parameters and helper functions, and the tree is rendered:

* for ngspice: B-source expressions and ``.func`` helpers (``pow(a, b)`` for ``**``,
  ``V(pos,neg)`` for the device voltage ``v``, ``V(xstate)`` for the state ``x``);
* for Verilog-A: the same tree with helper calls inlined (analog functions cannot read module
  parameters), real literals (``1.0``, so ``1/2`` is not integer division), and the unit
  step ``u(z)`` as ``(z > 0 ? 1.0 : 0.0)``.

Nothing a user types reaches a netlist without passing :func:`parse`: no string, no
attribute access, no statement, no name outside the model can get through.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterable, Mapping

from memspice.errors import ParameterError

#: Functions an expression may call, with their number of arguments. All exist in ngspice
#: B-sources and in Verilog-A (``u`` is rendered as a conditional in Verilog-A).
FUNCTIONS: dict[str, int] = {
    "abs": 1, "sqrt": 1, "exp": 1, "ln": 1, "log10": 1,
    "sin": 1, "cos": 1, "tan": 1, "atan": 1,
    "sinh": 1, "cosh": 1, "tanh": 1,
    "pow": 2, "min": 2, "max": 2, "u": 1,
}


class ExpressionError(ParameterError):
    """An expression is not valid in the model language (bad syntax, unknown name, bad call)."""


@dataclass(frozen=True)
class Helper:
    """A named helper function of a model, ``name(args) = body`` (ngspice ``.func``)."""

    name: str
    args: tuple[str, ...]
    body: str


@dataclass(frozen=True)
class Scope:
    """What an expression may refer to: variables, parameters and helper functions (with arity)."""

    variables: frozenset[str]
    parameters: frozenset[str]
    helpers: Mapping[str, int]

    def describe(self) -> str:
        names = sorted(self.variables | self.parameters)
        return f"variables and parameters {', '.join(names)}; functions {', '.join(sorted({**FUNCTIONS, **self.helpers}))}"


_ALLOWED_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_ALLOWED_UNARY = (ast.UAdd, ast.USub)


def parse(text: str, scope: Scope, *, what: str = "expression") -> ast.expr:
    """Parse ``text`` and check every node against ``scope``; returns the expression tree.

    Raises
    ------
    ExpressionError
        naming ``what``, the text and the offending piece, and listing what is allowed.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(f"{what} is empty; write an arithmetic expression such as 'v/ron'")
    if "\n" in text or "\r" in text:
        raise ExpressionError(f"{what} {text!r} spans several lines; an expression is one line")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(f"{what} {text!r} is not a valid expression ({exc.msg}); check brackets and operators") from None
    _check(tree, scope, what=what, text=text)
    return tree


def _check(node: ast.AST, scope: Scope, *, what: str, text: str) -> None:
    def fail(reason: str) -> None:
        raise ExpressionError(f"{what} {text!r}: {reason}; allowed: {scope.describe()}")

    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            fail(f"{node.value!r} is not a number")
        if node.value != node.value or node.value in (float("inf"), float("-inf")):
            fail("numbers must be finite")
    elif isinstance(node, ast.Name):
        if node.id not in scope.variables and node.id not in scope.parameters:
            fail(f"unknown name {node.id!r}")
    elif isinstance(node, ast.BinOp):
        if not isinstance(node.op, _ALLOWED_BINOPS):
            fail(f"operator {type(node.op).__name__} is not allowed (use + - * / **)")
        _check(node.left, scope, what=what, text=text)
        _check(node.right, scope, what=what, text=text)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, _ALLOWED_UNARY):
            fail(f"operator {type(node.op).__name__} is not allowed")
        _check(node.operand, scope, what=what, text=text)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.keywords:
            fail("only plain calls such as exp(x) are allowed")
        name = node.func.id
        arity = scope.helpers.get(name, FUNCTIONS.get(name))
        if arity is None:
            fail(f"unknown function {name!r}")
        if len(node.args) != arity:
            fail(f"{name}() takes {arity} argument(s), got {len(node.args)}")
        for argument in node.args:
            _check(argument, scope, what=what, text=text)
    else:
        fail(f"{type(node).__name__} is not part of the expression language")


def names_in(tree: ast.expr) -> set[str]:
    """Every variable or parameter name the tree refers to."""
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


#: Functions spelled differently in Verilog-A (its ``log`` is base 10, like ngspice's ``log10``).
_VERILOGA_NAMES = {"log10": "log"}


class _Rewriter(ast.NodeTransformer):
    """Renames variables, inlines helpers, and spells powers and steps per target language."""

    def __init__(
        self,
        substitutions: Mapping[str, ast.expr],
        *,
        inline: Mapping[str, tuple[tuple[str, ...], ast.expr]] | None,
        veriloga: bool,
    ) -> None:
        self.substitutions = substitutions
        self.inline = inline or {}
        self.veriloga = veriloga

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return self.substitutions.get(node.id, node)

    def visit_Constant(self, node: ast.Constant) -> ast.expr:
        if self.veriloga and isinstance(node.value, int):
            return ast.Constant(float(node.value))
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        node = self.generic_visit(node)
        if isinstance(node.op, ast.Pow):
            return ast.Call(ast.Name("pow"), [node.left, node.right], [])
        return node

    def visit_Call(self, node: ast.Call) -> ast.expr:
        args = [self.visit(argument) for argument in node.args]
        name = node.func.id  # type: ignore[attr-defined]
        if name in self.inline:
            params, body = self.inline[name]
            inner = _Rewriter(dict(zip(params, args)), inline=self.inline, veriloga=self.veriloga)
            return inner.visit(_copy(body))
        if self.veriloga and name in _VERILOGA_NAMES:
            name = _VERILOGA_NAMES[name]
        if self.veriloga and name == "u":
            return ast.IfExp(
                ast.Compare(args[0], [ast.Gt()], [ast.Constant(0.0)]), ast.Constant(1.0), ast.Constant(0.0)
            )
        return ast.Call(ast.Name(name), args, [])


def _copy(tree: ast.expr) -> ast.expr:
    return ast.parse(ast.unparse(tree), mode="eval").body


_PRECEDENCE = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2}
_SYMBOL = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


def _emit(node: ast.expr, parent: int = 0) -> str:
    """Print a (rewritten) tree in C-like syntax shared by ngspice and Verilog-A."""
    if isinstance(node, ast.Constant):
        value = node.value
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.UnaryOp):
        sign = "-" if isinstance(node.op, ast.USub) else "+"
        text = sign + _emit(node.operand, 3)
        return f"({text})" if parent > 1 else text
    if isinstance(node, ast.BinOp):
        precedence = _PRECEDENCE[type(node.op)]
        # Right operands of - and / bind tighter: a - (b - c) must keep its brackets.
        right_parent = precedence + 1 if isinstance(node.op, (ast.Sub, ast.Div)) else precedence
        # Products are written tight (a*b/c), sums spaced (a + b): the way SPICE decks read.
        symbol = f" {_SYMBOL[type(node.op)]} " if precedence == 1 else _SYMBOL[type(node.op)]
        text = f"{_emit(node.left, precedence)}{symbol}{_emit(node.right, right_parent)}"
        return f"({text})" if precedence < parent else text
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        separator = "," if name in ("V", "I") else ", "
        return f"{name}({separator.join(_emit(argument) for argument in node.args)})"
    if isinstance(node, ast.IfExp):
        return f"({_emit(node.test)} ? {_emit(node.body)} : {_emit(node.orelse)})"
    if isinstance(node, ast.Compare):
        return f"{_emit(node.left, 1)} > {_emit(node.comparators[0], 1)}"
    raise TypeError(f"cannot print {type(node).__name__}")  # unreachable after parse()


def render_ngspice(tree: ast.expr, substitutions: Mapping[str, str]) -> str:
    """The tree as an ngspice B-source / ``.func`` expression; ``substitutions`` maps variable names to SPICE text."""
    replaced = {name: ast.parse(text, mode="eval").body for name, text in substitutions.items()}
    return _emit(_Rewriter(replaced, inline=None, veriloga=False).visit(_copy(tree)))


def render_veriloga(
    tree: ast.expr, substitutions: Mapping[str, str], helpers: Iterable[tuple[Helper, ast.expr]]
) -> str:
    """The tree as a Verilog-A expression, helpers inlined, literals real, ``u()`` as a conditional."""
    replaced = {name: ast.parse(text, mode="eval").body for name, text in substitutions.items()}
    inline = {helper.name: (helper.args, body) for helper, body in helpers}
    rewritten = _Rewriter(replaced, inline=inline, veriloga=True).visit(_copy(tree))
    return _emit(rewritten)
