"""Building blocks that add themselves to a :class:`memspice.netlist.Netlist`."""

from memspice.circuits.memristor import MemristorInstance, add_memristor

__all__ = ["MemristorInstance", "add_memristor"]
