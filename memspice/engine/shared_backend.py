"""Backend that runs ngspice in-process through its shared library (``libngspice.so.0``).

The library is loaded once per process, on the first run, through PySpice's
``NgSpiceShared`` (CFFI). memspice uses PySpice only to load the library and register the
callbacks; everything else goes straight to ngspice's C API, because PySpice

* logs "Unsupported Ngspice version 39" as a warning and every ngspice stderr line as an
  error (here those records are demoted to DEBUG for the duration of our calls only), and
* judges failure by searching the output for the word "error" (here failure is judged by
  return codes, the fatal-exit callback and the result plot; see :mod:`memspice.engine.runner`).

One run: ``ngSpice_Circ`` (netlist lines, then an empty line), ``bg_run`` and wait for the
background thread to finish (so a timeout can halt it with ``bg_halt``), copy every vector of
the current plot with ``ngGet_Vec_Info``, then ``destroy all`` + ``remcirc`` + the NULL
command (frees ngspice's command history) so memory stays flat over thousands of runs.

ngspice keeps global state: a fatal error (e.g. an undefined ``{parameter}``) leaves the
library answering "cannot recover and awaits to be detached". memspice then unloads it
(``dlclose``) and the next run loads a fresh copy. All calls are serialised by one lock;
another ``NgSpiceShared`` in the same process would share ngspice's global state, so do not
mix this backend with direct PySpice simulations.
"""

from __future__ import annotations

import ctypes.util
import functools
import locale
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from memspice.engine.subprocess_backend import INSTALL_HINT
from memspice.engine.waveforms import KIND_OF_TYPE_CODE, EngineOutput, EngineVector
from memspice.errors import NgspiceNotFoundError

#: After ``bg_halt`` (which itself waits up to 1 s), how long to wait for ngspice's thread.
HALT_GRACE_S = 5.0

_PYSPICE_LOGGER_NAMES = (
    "PySpice.Spice.NgSpice.Shared",
    "PySpice.Spice.NgSpice.Shared.NgSpiceShared",
)

_LOCK = threading.Lock()
_engine: Any = None  # the loaded _MemspiceNgSpice instance, guarded by _LOCK
_unusable_reason: str | None = None  # set when ngspice's thread could not be stopped


def library_path() -> str:
    """The shared library to load: ``$NGSPICE_LIBRARY_PATH`` (PySpice's variable), else
    what the dynamic linker knows as ``ngspice`` (Debian ships only ``libngspice.so.0``,
    without the ``libngspice.so`` link PySpice looks for)."""
    configured = os.environ.get("NGSPICE_LIBRARY_PATH")
    if configured:
        return configured
    return ctypes.util.find_library("ngspice") or "libngspice.so.0"


def simulate(netlist_text: str, *, timeout_s: float) -> EngineOutput:
    """Simulate ``netlist_text`` in the shared library and return the current plot's vectors.

    ``failure`` in the result is None unless ngspice reported a fatal error, the run was
    halted at ``timeout_s`` seconds, or no result plot appeared; the caller judges
    completeness (points, tstop) itself.

    Raises
    ------
    NgspiceNotFoundError
        when the shared library cannot be loaded.
    """
    global _unusable_reason
    with _LOCK, _pyspice_logging_demoted():
        if _unusable_reason is not None:
            return EngineOutput(vectors=[], log_lines=[], failure=_unusable_reason,
                                version="ngspice-unknown")
        engine = _loaded_engine()
        output = engine.memspice_simulate(netlist_text, timeout_s)
        if engine.memspice_stuck:
            _unusable_reason = ("is still running a halted simulation in the shared library; "
                                "restart Python or use backend='subprocess'")
        elif engine.memspice_fatal:
            _unload_locked()
        return output


def version() -> str:
    """Version of the shared library, e.g. ``"ngspice-39"`` (loads it if needed)."""
    with _LOCK, _pyspice_logging_demoted():
        return f"ngspice-{_loaded_engine().ngspice_version}"


def unload() -> None:
    """Unload the shared library; the next run loads a fresh copy (fresh ngspice state)."""
    with _LOCK:
        _unload_locked()


def _loaded_engine() -> Any:
    global _engine
    if _engine is None:
        engine_class, _ = _engine_class_and_ffi()
        with _private_startup_folder():
            _engine = engine_class(library_path())
    return _engine


@contextmanager
def _private_startup_folder() -> Iterator[None]:
    """Run ngspice's initialisation in an empty private folder, with HOME pointing there.

    The library reads a ``.spiceinit`` from the working folder and the home folder when it
    starts, and such a file may hold ``shell`` commands: running memspice inside an untrusted
    folder (an unpacked example, a cloned repository) would run them. The process's working
    folder and HOME are restored at once; ngspice reads start-up files only here.
    """
    previous_dir, previous_home = os.getcwd(), os.environ.get("HOME")
    with tempfile.TemporaryDirectory(prefix="memspice-ngspice-") as empty:
        os.chdir(empty)
        os.environ["HOME"] = empty
        try:
            yield
        finally:
            os.chdir(previous_dir)
            if previous_home is None:
                os.environ.pop("HOME", None)
            else:
                os.environ["HOME"] = previous_home


def _unload_locked() -> None:
    global _engine
    # Unloading code that ngspice's background thread is still executing would crash Python.
    if _engine is not None and not _engine.memspice_stuck:
        _, ffi = _engine_class_and_ffi()
        ffi.dlclose(_engine._ngspice_shared)
        _engine = None


class _DemoteToDebug(logging.Filter):
    """Turn PySpice's warnings/errors about ngspice output into DEBUG records.

    They are kept (and shown) only if the user enabled DEBUG on PySpice's loggers; memspice
    reports ngspice's messages itself, in SimulationError's log tail.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


_DEMOTE = _DemoteToDebug()


@contextmanager
def _pyspice_logging_demoted() -> Iterator[None]:
    """Attach :class:`_DemoteToDebug` to PySpice's ngspice loggers for one call only."""
    loggers = [logging.getLogger(name) for name in _PYSPICE_LOGGER_NAMES]
    for logger in loggers:
        logger.addFilter(_DEMOTE)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(_DEMOTE)


@functools.cache
def _engine_class_and_ffi() -> tuple[type, Any]:
    """Build the NgSpiceShared subclass; PySpice is imported here, on the first run only."""
    from cffi import CDefError
    from PySpice.Spice.NgSpice import Shared
    from PySpice.Spice.NgSpice.Shared import NgSpiceShared, ffi

    class _MemspiceNgSpice(NgSpiceShared):  # type: ignore[misc]
        """NgSpiceShared with an explicit library path, reloadable, and callbacks for a
        run's output lines, end of the background thread and fatal exit."""

        def __init__(self, library: str) -> None:
            self.memspice_library = library
            self.memspice_lines: list[str] = []
            self.memspice_finished = threading.Event()
            self.memspice_fatal = False
            self.memspice_stuck = False
            super().__init__(ngspice_id=0, send_data=False, verbose=False)

        def _load_library(self, verbose: bool) -> None:
            try:  # cffi refuses a second cdef of the same API, which a reload would do
                ffi.typeof("vector_info")
            except CDefError:
                ffi.cdef(Path(Shared.__file__).with_name("api.h").read_text())
            # ngspice reads numbers with strtod: a decimal-comma locale would misread "0.5".
            locale.setlocale(locale.LC_NUMERIC, "C")
            try:
                self._ngspice_shared = ffi.dlopen(self.memspice_library)
            except OSError as exc:
                raise NgspiceNotFoundError(
                    f"the ngspice shared library {self.memspice_library!r} could not be loaded "
                    f"({exc}); {INSTALL_HINT}"
                ) from None

        @staticmethod
        def _background_thread_running(exited: bool, ngspice_id: int, user_data: Any) -> int:
            # ngspice passes "the thread has exited" here (PySpice calls it is_running).
            if exited:
                ffi.from_handle(user_data).memspice_finished.set()
            return 0

        @staticmethod
        def _exit(status: int, immediate: bool, quit_exit: bool, ngspice_id: int,
                  user_data: Any) -> int:
            ffi.from_handle(user_data).memspice_fatal = True
            return status

        def send_char(self, message: str | bytes, ngspice_id: int) -> int:
            if isinstance(message, bytes):  # PySpice hands over bytes it could not decode
                message = message.decode("utf-8", errors="replace")
            self.memspice_lines.append(message)
            return 0

        def memspice_simulate(self, netlist_text: str, timeout_s: float) -> EngineOutput:
            """One run; see the module docstring."""
            self.clear_output()  # PySpice keeps its own copy of every line; do not let it grow
            self.memspice_lines.clear()
            self.memspice_fatal = False
            failure: str | None = None
            vectors: list[EngineVector] = []
            started = time.perf_counter()
            simulate_s: float | None = None
            try:
                if self._memspice_load_circuit(netlist_text) != 0 or self.memspice_fatal:
                    failure = "rejected the netlist with a fatal error"
                else:
                    failure = self._memspice_run(timeout_s)
                    simulate_s = time.perf_counter() - started
                    vectors, plot_problem = self._memspice_result_vectors()
                    failure = failure or plot_problem
            finally:
                log_lines = [_clean_line(line) for line in self.memspice_lines
                             if not _is_progress_line(line)]
                self._memspice_clean_up()
            if self.memspice_fatal:
                failure = (failure or "stopped with a fatal error") + \
                    " (ngspice asked to be unloaded; the next run loads the library afresh)"
            return EngineOutput(vectors=vectors, log_lines=log_lines, failure=failure,
                                version=f"ngspice-{self.ngspice_version}", simulate_s=simulate_s)

        def _memspice_load_circuit(self, netlist_text: str) -> int:
            # ngSpice_Circ takes a NULL-terminated array of lines, the last one empty.
            lines = [ffi.new("char[]", line.encode("utf-8")) for line in netlist_text.splitlines()]
            lines += [ffi.new("char[]", b""), ffi.NULL]
            return int(self._ngspice_shared.ngSpice_Circ(ffi.new("char *[]", lines)))

        def _memspice_run(self, timeout_s: float) -> str | None:
            # bg_run rather than run: only a background run can be halted at the timeout.
            self.memspice_finished.clear()
            self._ngspice_shared.ngSpice_Command(b"bg_run")
            try:
                finished = self.memspice_finished.wait(timeout_s)
            except BaseException:  # e.g. KeyboardInterrupt: stop ngspice before unwinding
                self._memspice_halt()
                raise
            if finished:
                return None
            self._memspice_halt()
            return f"did not finish within the timeout of {timeout_s:g} s and was halted"

        def _memspice_halt(self) -> None:
            self._ngspice_shared.ngSpice_Command(b"bg_halt")
            if not self.memspice_finished.wait(HALT_GRACE_S):
                self.memspice_stuck = True

        def _memspice_result_vectors(self) -> tuple[list[EngineVector], str | None]:
            library = self._ngspice_shared
            plot = ffi.string(library.ngSpice_CurPlot()).decode()
            if plot == "const":  # every earlier plot was destroyed: no new one appeared
                return [], "produced no result plot"
            names = library.ngSpice_AllVecs(plot.encode())
            if names == ffi.NULL:
                return [], f"produced an empty plot {plot!r}"
            vectors = []
            index = 0
            while names[index] != ffi.NULL:
                name = ffi.string(names[index]).decode()
                index += 1
                info = library.ngGet_Vec_Info(f"{plot}.{name}".encode())
                if info == ffi.NULL:
                    continue
                if info.v_compdata != ffi.NULL:
                    return [], f"produced complex vector {name!r}; only tran, dc and op are supported"
                vectors.append(EngineVector(
                    name=name,
                    kind=KIND_OF_TYPE_CODE.get(int(info.v_type), "notype"),
                    values=_copy_doubles(ffi, info.v_realdata, int(info.v_length)),
                ))
            return vectors, None

        def _memspice_clean_up(self) -> None:
            library = self._ngspice_shared
            library.ngSpice_Command(b"destroy all")
            library.ngSpice_Command(b"remcirc")
            # NULL frees the command history ngspice keeps (about 0.6 kB per run otherwise).
            library.ngSpice_Command(ffi.NULL)

    return _MemspiceNgSpice, ffi


def _copy_doubles(ffi: Any, pointer: Any, length: int) -> np.ndarray:
    """Copy ``length`` float64 values out of ngspice's memory (it frees them on destroy)."""
    if length <= 0 or pointer == ffi.NULL:
        return np.empty(0, dtype=np.float64)
    return np.frombuffer(ffi.buffer(pointer, length * 8), dtype=np.float64).copy()


def _is_progress_line(message: str) -> bool:
    """ngspice's transient progress (`` Reference value : 1.2e-01\r``), not a message."""
    return message.lstrip().startswith("Reference value")


def _clean_line(message: str) -> str:
    """``"stderr Error: ..."`` -> ``"Error: ..."``, without trailing ``\\r`` or blanks."""
    for prefix in ("stdout ", "stderr "):
        if message.startswith(prefix):
            message = message[len(prefix):]
            break
    return message.replace("\r", "").rstrip()
