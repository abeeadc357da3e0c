"""memspice: memristive circuits on a real SPICE simulator.

Importing this package is cheap: it does not import matplotlib or PySpice and does
not look for ngspice; those happen on the first plot or the first simulation run.
"""

from memspice.errors import (
    MemspiceError,
    NetlistError,
    NgspiceNotFoundError,
    ParameterError,
    SimulationError,
    VacaskNotFoundError,
    VerilogACompileError,
)

__version__ = "0.1.0"

__all__ = [
    "MemspiceError",
    "NetlistError",
    "NgspiceNotFoundError",
    "ParameterError",
    "SimulationError",
    "VacaskNotFoundError",
    "VerilogACompileError",
    "__version__",
]
