"""A memristor from the catalog, placed between two nodes of a netlist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from memspice.netlist import Netlist, SubcircuitInstance, check_name
from memspice.spicelib.catalog import STATE_NODE, MemristorModel, ParamValue, memristor_subcircuit


@dataclass(frozen=True)
class MemristorInstance:
    """Where a placed memristor lives in the netlist: instance name, pins and state node path."""

    instance: str
    pos: str
    neg: str
    model: MemristorModel
    values: Mapping[str, ParamValue]

    @property
    def state_node(self) -> str:
        """Hierarchical node whose voltage is the state variable, e.g. ``xm1.xstate``."""
        return f"{self.instance}.{STATE_NODE}".lower()


def add_memristor(
    netlist: Netlist,
    name: str,
    pos: str,
    neg: str,
    model: MemristorModel,
    values: Mapping[str, ParamValue],
) -> MemristorInstance:
    """Define ``model``'s subcircuit (once) and add an instance ``X<name>`` from ``pos`` to ``neg``.

    ``values`` must already be resolved by ``model.resolve(...)`` (validated, defaults filled in).
    Positive current flows into ``pos``.
    """
    check_name(name, what="memristor name")
    from memspice.spicelib.veriloga import osdi_model

    subcircuit = memristor_subcircuit(model, values)
    netlist.define(subcircuit)
    # The Verilog-A twin is used only when the netlist is rendered for VACASK.
    netlist.define_osdi(osdi_model(model, values))
    element = SubcircuitInstance(name, (pos, neg), subcircuit.name, model.numeric(values))
    netlist.add(element)
    instance = element.render().split()[0]
    return MemristorInstance(instance=instance, pos=pos, neg=neg, model=model, values=dict(values))
