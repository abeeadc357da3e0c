"""The model expression language: validation before any netlist exists, faithful rendering."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memspice.spicelib.expressions import ExpressionError, Helper, Scope, parse, render_ngspice, render_veriloga

SCOPE = Scope(frozenset({"v", "x"}), frozenset({"a", "b", "c"}), {"f": 1})
NAMESPACE = {
    "pow": math.pow, "abs": abs, "exp": math.exp, "ln": math.log, "tanh": math.tanh, "sqrt": math.sqrt,
    "min": min, "max": max, "u": lambda z: 1.0 if z > 0 else 0.0,
}


@pytest.mark.parametrize(
    "text",
    ["a - (b - c)", "a/(b/c)", "a - b - c", "-a*b", "a**b**c", "(a + b)*(c - a)", "-(a - b)", "a*-b", "a/b*c", "u(a - b)*c"],
)
def test_rendering_keeps_the_value(text: str) -> None:
    values = {"a": 1.7, "b": 0.6, "c": 2.3}
    expected = eval(text.replace("u(", "_u("), {"_u": NAMESPACE["u"]}, values)  # Python's own reading of the text
    rendered = render_ngspice(parse(text, SCOPE), {})
    assert eval(rendered, dict(NAMESPACE), values) == pytest.approx(expected, rel=1e-15)


@given(
    st.floats(0.1, 10), st.floats(0.1, 10), st.floats(0.1, 10),
    st.sampled_from(["a - b/c", "(a - b)**2/c", "tanh(a - b)*exp(-c)", "max(a, b) - min(b, c)", "a/(b*(c + a))"]),
)
def test_rendering_property(a: float, b: float, c: float, text: str) -> None:
    values = {"a": a, "b": b, "c": c}
    expected = eval(text, {"tanh": math.tanh, "exp": math.exp}, values)
    rendered = render_ngspice(parse(text, SCOPE), {})
    assert eval(rendered, dict(NAMESPACE), values) == pytest.approx(expected, rel=1e-12)


def test_variables_are_substituted_and_helpers_kept_for_ngspice() -> None:
    tree = parse("v/f(x)", SCOPE)
    assert render_ngspice(tree, {"v": "V(pos,neg)", "x": "V(xstate)"}) == "V(pos,neg)/f(V(xstate))"


def test_veriloga_inlines_helpers_uses_reals_and_conditionals() -> None:
    helper = Helper("f", ("z",), "a*z + 1")
    body = parse(helper.body, Scope(frozenset({"z"}), SCOPE.parameters, {}))
    text = render_veriloga(parse("v/f(x) + u(v) + log10(x)", SCOPE), {"v": "v", "x": "x"}, [(helper, body)])
    assert text == "v/(a*x + 1.0) + (v > 0.0 ? 1.0 : 0.0) + log(x)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("shell(1)", "unknown function 'shell'"),
        ("q + 1", "unknown name 'q'"),
        ("(v + 1", "not a valid expression"),
        ("v + 1)", "not a valid expression"),
        ("__import__('os').system('ls')", "only plain calls"),
        ("__import__('os')", "unknown function '__import__'"),
        ("x.real", "Attribute is not part of the expression language"),
        ("'text'", "is not a number"),
        ("v if x else a", "IfExp is not part of the expression language"),
        ("v; x", "not a valid expression"),
        ("exp(1, 2)", "exp() takes 1 argument(s), got 2"),
        ("v\n.control", "spans several lines"),
        ("", "is empty"),
        ("v % 2", "operator Mod is not allowed"),
    ],
)
def test_bad_expressions_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(ExpressionError) as error:
        parse(text, SCOPE, what="current")
    assert message in str(error.value)
