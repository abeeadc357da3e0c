"""Building blocks that add themselves to a :class:`memspice.netlist.Netlist`."""

from memspice.circuits.crossbar import CrossbarConfig, CrossbarNodes, External, Floating, Source, add_crossbar, bias
from memspice.circuits.crossbar_cells import CellArray, CellSite, FixedConductanceCells, MemristorCells
from memspice.circuits.memristor import MemristorInstance, add_memristor

__all__ = [
    "CellArray", "CellSite", "CrossbarConfig", "CrossbarNodes", "External", "FixedConductanceCells", "Floating",
    "MemristorCells", "MemristorInstance", "Source", "add_crossbar", "add_memristor", "bias",
]
