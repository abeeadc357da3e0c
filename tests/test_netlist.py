"""The netlist model: readable text, strict names and values, no injection."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memspice.errors import NetlistError, ParameterError
from memspice.netlist import (
    BehaviouralSource,
    Capacitor,
    CurrentSource,
    Dc,
    DcSweep,
    Expr,
    Netlist,
    Op,
    Pulse,
    Pwl,
    Resistor,
    Sine,
    SubcircuitDefinition,
    SubcircuitInstance,
    Tran,
    VoltageSource,
)
from memspice.units import format_spice_number, parse_spice_number


def test_renders_readable_ngspice_text() -> None:
    netlist = Netlist(title="rc step", options={"method": "gear", "reltol": 1e-4})
    netlist.add(
        VoltageSource("in", "a", "0", Pulse(0, 1, 1e-6, 1e-9, 1e-9, 5e-6, 1e-5)),
        Resistor("1", "a", "b", 1e3),
        Capacitor("1", "b", "0", 1e-6, ic_v=0.0),
    )
    netlist.initial_conditions["b"] = 0.0
    netlist.analysis = Tran(step_s=1e-6, stop_s=5e-3)
    assert netlist.render() == (
        "* rc step\n"
        ".options method=gear reltol=0.0001\n"
        "\n"
        "Vin a 0 dc 0 pulse(0 1 1e-06 1e-09 1e-09 5e-06 1e-05)\n"
        "R1 a b 1000\n"
        "C1 b 0 1e-06 ic=0\n"
        ".ic v(b)=0\n"
        ".tran 1e-06 0.005 uic\n"
        ".end\n"
    )


def test_sources_and_analyses() -> None:
    assert Sine(amplitude=1, freq_hz=10).render() == "dc 0 sin(0 1 10 0 0 0)"
    assert Dc(2.5).render() == "dc 2.5"
    assert Pwl(((0, 0), (1e-9, 1.8), (5e-8, 1.8))).render() == "dc 0 pwl(0 0 1e-09 1.8 5e-08 1.8)"
    assert CurrentSource("d", "0", "a", Dc(1e-6)).render() == "Id 0 a dc 1e-06"
    assert Op().render() == ".op"
    assert DcSweep("vin", -1, 1, 0.01).render() == ".dc vin -1 1 0.01"
    assert Tran(1e-3, 1.0, max_step_s=1e-3).render() == ".tran 0.001 1 0 0.001 uic"
    assert Tran(1e-3, 1.0, uic=False).render() == ".tran 0.001 1"


def test_subcircuit_definition_and_instance() -> None:
    definition = SubcircuitDefinition(
        name="div",
        pins=("top", "out"),
        params={"r": 1e3},
        elements=(Resistor("a", "top", "out", Expr("r")), Resistor("b", "out", "0", Expr("r"))),
    )
    assert definition.render() == ".subckt div top out params: r=1000\nRa top out {r}\nRb out 0 {r}\n.ends div"
    assert SubcircuitInstance("1", ("n1", "n2"), "div", {"r": 2e3}).render() == "X1 n1 n2 div r=2000"


@pytest.mark.parametrize(
    "make",
    [
        lambda: Resistor("a b", "1", "0", 1.0),  # space in a name
        lambda: Resistor("r1", "a b", "0", 1.0),  # space in a node
        lambda: Resistor("r1", "a\n.control", "0", 1.0),  # control block through a node
        lambda: Resistor("r1", "a", "0", math.nan),  # NaN
        lambda: Resistor("r1", "a", "0", math.inf),
        lambda: Resistor("r1", "a", "0", -5.0),  # negative resistance
        lambda: Capacitor("c1", "a", "0", "1u"),  # strings are not numbers inside memspice
        lambda: SubcircuitInstance("x1", ("a",), "sub", {"p q": 1.0}),
        lambda: SubcircuitInstance("x1", ("a",), "control", {}),  # reserved word as a name
        lambda: Expr("1\n.control\nshell rm -rf /\n.endc"),
        lambda: Expr("v(a); shell ls"),
        lambda: Expr('"quoted"'),
        lambda: Expr("(1+2"),
        lambda: BehaviouralSource("b1", "a", "0", Expr("v(a)"), kind="Q"),
        lambda: Sine(amplitude=1, freq_hz=0),
        lambda: Pwl(((0, 0), (0, 1))),
        lambda: Tran(step_s=0, stop_s=1),
        lambda: DcSweep("vin", 0, 1, -0.1),
    ],
)
def test_bad_names_and_values_raise_netlist_error(make) -> None:
    with pytest.raises(NetlistError):
        make()


def test_netlist_without_analysis_and_option_injection() -> None:
    with pytest.raises(NetlistError, match="no analysis"):
        Netlist("t").render()
    netlist = Netlist("t", options={"method": "gear\n.control"}, analysis=Op())
    with pytest.raises(NetlistError, match="option"):
        netlist.render()
    with pytest.raises(NetlistError, match="single line"):
        Netlist("t\n.control", analysis=Op()).render()


def test_define_twice_same_is_idempotent_different_is_error() -> None:
    netlist = Netlist("t")
    sub = SubcircuitDefinition("s", ("a",), {}, (Resistor("1", "a", "0", 1.0),))
    netlist.define(sub).define(sub)
    assert len(netlist.subcircuits) == 1
    with pytest.raises(NetlistError, match="already defined"):
        netlist.define(SubcircuitDefinition("s", ("a",), {}, (Resistor("1", "a", "0", 2.0),)))


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_format_round_trips_exactly(value: float) -> None:
    text = format_spice_number(value)
    assert float(text) == value
    assert parse_spice_number(text) == value
    assert "M" not in text


@pytest.mark.parametrize(
    ("text", "value"),
    [("50n", 50e-9), ("16k", 16e3), ("1Meg", 1e6), ("2.5u", 2.5e-6), ("1m", 1e-3), ("50ns", 50e-9), ("-1.8", -1.8), ("1e-14", 1e-14)],
)
def test_parse_engineering_suffixes(text: str, value: float) -> None:
    assert parse_spice_number(text) == value


@pytest.mark.parametrize("text", ["1M", "abc", "1e400", "", "1 k", "nan"])
def test_parse_rejects_ambiguous_or_bad_numbers(text: str) -> None:
    with pytest.raises(ParameterError):
        parse_spice_number(text, name="roff")


def test_model_card_and_mosfet_render_and_refuse_bad_names() -> None:
    from memspice.netlist import ModelCard, Mosfet

    assert ModelCard("nacc", "nmos", {"level": 1.0, "vto": 0.5, "kp": 2e-4}).render() == ".model nacc nmos level=1 vto=0.5 kp=0.0002"
    assert Mosfet("1", "d", "g", "s", "s", "nacc", w_m=1e-6, l_m=2e-7).render() == "M1 d g s s nacc W=1e-06 L=2e-07"
    with pytest.raises(NetlistError):
        ModelCard("nacc", "nmos\n.control", {})
    with pytest.raises(NetlistError):
        ModelCard("nacc", "nmos", {"vto": float("nan")})
    with pytest.raises(NetlistError, match="w_m=0"):
        Mosfet("1", "d", "g", "s", "s", "nacc", w_m=0.0, l_m=1e-6)
