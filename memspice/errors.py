"""One exception family for memspice; every message names the object, the value and what is allowed."""

from __future__ import annotations

from pathlib import Path


class MemspiceError(Exception):
    """Base class of every error memspice raises on purpose."""


class ParameterError(MemspiceError, ValueError):
    """A model, circuit or experiment parameter is unknown or outside its allowed range."""


class NetlistError(MemspiceError, ValueError):
    """A name or value cannot be written into a netlist safely."""


class NgspiceNotFoundError(MemspiceError, RuntimeError):
    """ngspice (executable or shared library) is not installed."""


class SimulationError(MemspiceError, RuntimeError):
    """ngspice ran but did not produce a complete result.

    Attributes
    ----------
    netlist_path:
        The netlist file that was simulated (kept on disk for a rerun with ``ngspice -b``).
    log_tail:
        The last lines of ngspice's output.
    """

    def __init__(self, message: str, *, netlist_path: Path | None = None, log_tail: str = "") -> None:
        self.netlist_path = netlist_path
        self.log_tail = log_tail
        parts = [message]
        if netlist_path is not None:
            parts.append(f"netlist: {netlist_path}")
        if log_tail:
            parts.append("last lines of the ngspice log:\n" + log_tail)
        super().__init__("\n".join(parts))
