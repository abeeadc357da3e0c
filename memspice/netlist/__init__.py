"""The netlist model: elements, subcircuits, sources, one analysis, written for ngspice or VACASK.

Everything a user can name or set is validated when the object is built, before any text
exists (:mod:`memspice.netlist.values`): names are letters, digits and ``_``, numbers are
finite floats, expressions are one line from a small alphabet, so no string can open a
``.control`` block, call ``shell`` or ``.include`` a file.

``Netlist.render()`` returns text that plain ``ngspice -b`` runs as it is;
``Netlist.render(dialect="vacask")`` writes the same circuit for VACASK
(:mod:`memspice.netlist.vacask`). Each block is written through a dialect's ``format_*``
hook (:mod:`memspice.netlist.dialect`), so a block is defined once for both simulators.
Large regular circuits (crossbar arrays) use bulk elements (:class:`ResistorArray`,
:class:`CapacitorArray`, :class:`InstanceArray`, :mod:`memspice.netlist.arrays`): one
validated object and one vectorised write per block instead of one object per element.
"""

from memspice.netlist.arrays import CapacitorArray, InstanceArray, ResistorArray

#: How many vectors a study puts in a saved netlist's ``.print`` line: plain ``ngspice -b`` runs
#: a transient only when it has something to print, and a handful shows the run did what it should.
PRINTED_VECTORS = 8
from memspice.netlist.dialect import Dialect, get_dialect
from memspice.netlist.elements import (
    Analysis,
    BehaviouralSource,
    Capacitor,
    Comment,
    CurrentSource,
    Dc,
    DcSweep,
    Element,
    Function,
    ModelCard,
    Mosfet,
    Netlist,
    Op,
    OsdiModel,
    Pulse,
    Pwl,
    Resistor,
    Sine,
    SubcircuitDefinition,
    SubcircuitInstance,
    Tran,
    VoltageSource,
    Waveform,
    node_names,
)
from memspice.netlist.ngspice import NgspiceDialect
from memspice.netlist.values import Expr, Value, check_name, check_node, check_number, element_name, format_value

__all__ = [
    "Analysis", "BehaviouralSource", "Capacitor", "CapacitorArray", "Comment", "CurrentSource", "Dc",
    "DcSweep", "Dialect", "Element", "Expr", "Function", "InstanceArray", "ModelCard", "PRINTED_VECTORS", "Mosfet", "Netlist", "NgspiceDialect",
    "Op", "OsdiModel", "Pulse", "Pwl", "Resistor", "ResistorArray", "Sine", "SubcircuitDefinition",
    "SubcircuitInstance", "Tran",
    "Value", "VacaskDialect", "VoltageSource", "Waveform", "check_name", "check_node",
    "check_number", "element_name", "format_value", "get_dialect", "node_names",
]


def __getattr__(name: str):
    # VacaskDialect is imported on first use, so ``import memspice.netlist`` stays small.
    if name == "VacaskDialect":
        from memspice.netlist.vacask import VacaskDialect

        return VacaskDialect
    raise AttributeError(f"module 'memspice.netlist' has no attribute {name!r}")
