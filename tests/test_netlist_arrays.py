"""Bulk elements: validated as whole arrays, written through both dialects' hooks."""

from __future__ import annotations

import numpy as np
import pytest

from memspice.errors import NetlistError
from memspice.netlist import (
    CapacitorArray,
    Dc,
    InstanceArray,
    Netlist,
    Op,
    OsdiModel,
    Resistor,
    ResistorArray,
    SubcircuitDefinition,
    Tran,
    VoltageSource,
    node_names,
)
from memspice.netlist.arrays import check_name_array, format_number_array
from memspice.units import parse_spice_number

_MODULE = OsdiModel(subcircuit="cell", module="cellmod", osdi_path="cellmod.osdi",
                    instance_params=("x0",), initial_conditions={"xs": "x0"})
_CELL = SubcircuitDefinition(name="cell", pins=("p", "n"), params={"r": 1e3, "x0": 0.5},
                             elements=(Resistor("1", "p", "n", 1e3),))


def _netlist(*items) -> Netlist:
    netlist = Netlist(title="arrays")
    netlist.add(VoltageSource("in", "a", "0", Dc(1.0)), *items)
    netlist.analysis = Op()
    return netlist


def test_resistor_and_capacitor_arrays_in_both_dialects() -> None:
    netlist = _netlist(ResistorArray(["c0", "c1"], ["a", "a"], ["b", "0"], [1e3, 2.5e-1]),
                       CapacitorArray(["k0"], ["b"], ["0"], 1e-15))
    assert netlist.render().splitlines()[2:6] == ["Vin a 0 dc 1", "Rc0 a b 1000", "Rc1 a 0 0.25", "Ck0 b 0 1e-15"]
    vacask = netlist.render(dialect="vacask")
    assert 'load "resistor.osdi"' in vacask and 'load "capacitor.osdi"' in vacask
    assert "rc0 (a b) resistor r=1000\nrc1 (a 0) resistor r=0.25\nck0 (b 0) capacitor c=1e-15\n" in vacask
    assert node_names(netlist.elements) == {"a", "b", "0"}


@pytest.mark.parametrize("bad", ["c 0", "", "x;y", "a.b", "R1\nRx"])
def test_names_and_nodes_are_validated_as_arrays(bad: str) -> None:
    with pytest.raises(NetlistError, match=r"\[1\]="):
        ResistorArray(["ok", bad], ["a", "a"], ["b", "b"], 1.0)
    with pytest.raises(NetlistError, match=r"n2\[1\]="):
        ResistorArray(["r0", "r1"], ["a", "a"], ["b", bad], 1.0)


def test_values_and_lengths_are_validated() -> None:
    with pytest.raises(NetlistError, match=r"resistance_ohm\[1\]=0\.0 .*> 0"):
        ResistorArray(["a", "b"], ["x", "x"], ["y", "y"], [1.0, 0.0])
    with pytest.raises(NetlistError, match=r"resistance_ohm\[0\]=nan"):
        ResistorArray(["a"], ["x"], ["y"], [float("nan")])
    with pytest.raises(NetlistError, match="has 1 nodes for 2 names"):
        ResistorArray(["a", "b"], ["x"], ["y", "y"], 1.0)
    with pytest.raises(NetlistError, match="has 3 values for 2 elements"):
        ResistorArray(["a", "b"], ["x", "x"], ["y", "y"], [1.0, 2.0, 3.0])
    with pytest.raises(NetlistError, match="not a string"):
        check_name_array(["a", 3], what="names")


def test_numbers_round_trip_exactly() -> None:
    values = np.array([1.0, 0.1, 1e-14, 16000.0, 1 / 3, 123456789.123, 0.0])
    texts = format_number_array(values)
    assert texts[:4] == ["1", "0.1", "1e-14", "16000"] and texts[-1] == "0"
    assert [parse_spice_number(text) for text in texts] == values.tolist()


def test_instance_array_of_a_subcircuit_and_of_its_verilog_a_twin() -> None:
    block = InstanceArray(["m0", "m1"], (["a", "a"], ["b0", "b1"]), "cell", {"x0": [0.25, 0.75], "r": 2e3})
    netlist = _netlist(block)
    netlist.define(_CELL)
    assert netlist.render().splitlines()[-4:-2] == ["Xm0 a b0 cell x0=0.25 r=2000", "Xm1 a b1 cell x0=0.75 r=2000"]
    vacask = netlist.render(dialect="vacask")
    assert "xm0 (a b0) cell x0=0.25 r=2000\n" in vacask  # no twin: a VACASK subcircuit instance

    netlist.define_osdi(_MODULE)
    netlist.analysis = Tran(step_s=1e-9, stop_s=1e-8, uic=True)
    vacask = netlist.render(dialect="vacask")
    # The constant model parameter goes on one model line; the per-instance state stays per instance.
    assert "model cell cellmod r=2000\n" in vacask
    assert "xm0 (a b0) cell x0=0.25\nxm1 (a b1) cell x0=0.75\n" in vacask
    assert 'ic={"xm0:xs", 0.25, "xm1:xs", 0.75}' in vacask


def test_instance_array_refuses_per_instance_model_parameters_in_vacask() -> None:
    netlist = _netlist(InstanceArray(["m0", "m1"], (["a", "a"], ["0", "0"]), "cell", {"r": [1e3, 2e3]}))
    netlist.define(_CELL).define_osdi(_MODULE)
    assert "Xm1 a 0 cell r=2000" in netlist.render()
    with pytest.raises(NetlistError, match=r"parameter 'r' differs between instances.*instance_params"):
        netlist.render(dialect="vacask")
