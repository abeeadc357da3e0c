"""Backend that runs the ``ngspice`` executable in batch mode, one process per simulation.

``ngspice -b -r <name>.raw -o <name>.log <name>.cir``: the binary raw file holds the exact
float64 results, the log holds ngspice's messages. Each run starts from a fresh process, so a
crash or a fatal netlist error cannot affect later runs (at ~10 ms process start-up cost).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

from memspice.engine.rawfile import RawFileError, read_rawfile
from memspice.engine.waveforms import EngineOutput, VectorTable
from memspice.errors import NgspiceNotFoundError

INSTALL_HINT = ("run scripts/install-system-deps.sh from the memspice checkout, "
                "or: sudo apt-get install ngspice libngspice0")

_VERSION_RE = re.compile(r"ngspice-(\d+(?:\.\d+)*)")

# The resource report ngspice -b appends to every log; dropped so that a SimulationError's
# log tail shows ngspice's messages rather than memory statistics.
_RESOURCE_REPORT_RE = re.compile(
    r"^\s*(Total (analysis|elapsed) time|Total DRAM available|DRAM currently available|"
    r"(Maximum|Current) ngspice program size|Shared ngspice pages|Text \(code\) pages|"
    r"Stack =|Library pages)"
)


def find_ngspice_executable() -> str:
    """Path of the ``ngspice`` executable on ``PATH``, looked up now (not at import).

    Raises
    ------
    NgspiceNotFoundError
        with the install hint when ``ngspice`` is not on ``PATH``.
    """
    executable = shutil.which("ngspice")
    if executable is None:
        raise NgspiceNotFoundError(
            f"the ngspice executable was not found on PATH; {INSTALL_HINT}"
        )
    return executable


@functools.lru_cache(maxsize=4)
def executable_version(executable: str) -> str:
    """``ngspice -v`` of ``executable`` as e.g. ``"ngspice-39"`` (cached per path)."""
    completed = subprocess.run([executable, "-v"], capture_output=True, text=True,
                               errors="replace", timeout=30, stdin=subprocess.DEVNULL)
    match = _VERSION_RE.search(completed.stdout + completed.stderr)
    return f"ngspice-{match.group(1)}" if match else "ngspice-unknown"


def simulate(netlist_path: Path, *, timeout_s: float) -> EngineOutput:
    """Run ``ngspice -b`` on ``netlist_path`` and collect the vectors of its first plot.

    The raw and log files are written next to the netlist (same stem); the run is killed
    after ``timeout_s`` seconds. ``failure`` in the result is None when ngspice exited with
    status 0 and wrote a readable raw file; the caller judges completeness (points, tstop).
    """
    executable = find_ngspice_executable()
    raw_path = netlist_path.with_suffix(".raw")
    log_path = netlist_path.with_suffix(".log")
    for stale in (raw_path, log_path):
        stale.unlink(missing_ok=True)
    # -n: no .spiceinit from the working or the home folder (it may hold `shell` commands).
    command = [executable, "-b", "-n", "-r", str(raw_path), "-o", str(log_path), str(netlist_path)]
    # An inherited SPICE_ASCIIRAWFILE=1 would switch the raw file to text.
    environment = {**os.environ, "SPICE_ASCIIRAWFILE": "0"}
    started = time.perf_counter()
    returncode, stdout, stderr, timed_out = run_with_deadline(command, timeout_s=timeout_s, env=environment)
    simulate_s = time.perf_counter() - started
    log_lines = _read_lines(log_path) + stderr.decode("utf-8", errors="replace").splitlines()
    match = _VERSION_RE.search(stdout.decode("utf-8", errors="replace"))
    version = f"ngspice-{match.group(1)}" if match else executable_version(executable)
    if timed_out:
        return EngineOutput(
            vectors=[], log_lines=log_lines, version=version,
            failure=f"did not finish within the timeout of {timeout_s:g} s and was killed",
        )
    failure = None if returncode == 0 else f"exited with status {returncode}"
    table, raw_problem = _read_table(raw_path)
    if failure is None and raw_problem is not None:
        failure = raw_problem
    return EngineOutput(vectors=[], log_lines=log_lines, failure=failure, version=version,
                        simulate_s=simulate_s, table=table)


def _die_with_parent():
    """A ``preexec_fn`` asking Linux to SIGKILL the child when memspice dies, even by SIGKILL
    (``prctl(PR_SET_PDEATHSIG)``; skipped off Linux), so no simulator outlives it, and letting
    the child take SIGINT / SIGTERM again (the parent holds them while it forks). The C
    function is looked up here, in the parent: the child only calls it between fork and exec."""
    global _PRCTL
    if _PRCTL is None:
        try:
            import ctypes

            _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):  # not Linux
            _PRCTL = False
    prctl = _PRCTL

    def set_death_signal() -> None:
        if prctl is not False:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _INTERRUPT_SIGNALS)  # the simulator takes them as usual

    return set_death_signal


_PR_SET_PDEATHSIG = 1
_INTERRUPT_SIGNALS = {signal.SIGINT, signal.SIGTERM}
_PRCTL = None


def run_with_deadline(
    command: list[str], *, timeout_s: float, env: dict[str, str] | None = None, cwd: Path | None = None
) -> tuple[int, bytes, bytes, bool]:
    """Run ``command`` (in ``cwd``, with ``env``), killing it after ``timeout_s`` seconds.

    Returns (exit status, stdout, stderr, killed at the deadline). Not
    ``subprocess.run(timeout=...)``: on Python 3.11 that polls the child with sleeps growing
    to 50 ms, which added ~10 ms to a 20 ms simulation; a timer thread plus a blocking wait
    returns as soon as ngspice exits.
    """
    killed = threading.Event()
    # Ctrl-C / SIGTERM held back while forking: a signal that lands in Python's at-fork handlers
    # is printed as "Exception ignored" with a traceback instead of stopping the run. Held, it
    # arrives the moment the child exists, where the caller handles it (and kills the child).
    held = _INTERRUPT_SIGNALS if threading.current_thread() is threading.main_thread() else set()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held) if held else None
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=env, cwd=cwd, preexec_fn=_die_with_parent())
    finally:
        if previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def kill() -> None:
        killed.set()
        process.kill()

    timer = threading.Timer(timeout_s, kill)
    timer.daemon = True
    timer.start()
    try:
        stdout, stderr = process.communicate()
    except BaseException:  # e.g. KeyboardInterrupt: do not leave the simulator running
        process.kill()
        process.wait()
        raise
    finally:
        timer.cancel()
    # A timer firing just after a normal exit must not turn a success into a timeout.
    return process.returncode, stdout, stderr, killed.is_set() and process.returncode != 0


def _read_table(raw_path: Path) -> tuple[VectorTable | None, str | None]:
    """Vectors of the raw file's first plot, or an explanation of why there are none."""
    if not raw_path.exists():
        return None, "wrote no raw file"
    try:
        plots = read_rawfile(raw_path)
    except RawFileError as exc:
        return None, f"wrote an unreadable raw file ({exc})"
    plot = plots[0]
    return VectorTable(names=[v.name for v in plot.variables], kinds=[v.kind for v in plot.variables],
                       data=plot.data[:, [v.index for v in plot.variables]]), None


def _read_lines(path: Path) -> list[str]:
    """The log file's lines without ngspice's resource report (empty if there is no log)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []
    return [line for line in lines if not _RESOURCE_REPORT_RE.match(line)]
