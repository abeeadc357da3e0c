"""The shape every study has: a config (data), a plan of simulator jobs, an analysis, a report.

A study is a :class:`Study`, a frozen dataclass of its names, help texts, config class and
functions, registered by name (:func:`register_study`). Its ``Config`` is a frozen
:class:`~memspice.config.ConfigBase` dataclass: what is simulated. How it runs is a
:class:`~memspice.engine.options.RunOptions`, passed beside the config.

* ``plan(config)`` turns a config into :class:`Job` s, netlists with a file stem and a
  label, independent of each other (an executor may run them in any order, anywhere);
* ``analyse(config, jobs, outputs)`` turns the jobs' waveforms into a result object (a study's
  own frozen dataclass with ``summary()``, a JSON-ready dict, and ``tables()``, DataFrames);
* :meth:`Study.execute` runs the plan and the analysis (serially here, :func:`run_plan`);
  studies whose next simulation depends on the last (co-simulation) give a ``loop`` instead,
  which it runs;
* ``report(result, folder)`` writes the result into a folder through
  :func:`memspice.studies.report.write_report`, ``summary.json`` last;
* ``summary_lines(result)`` is what the CLI prints when the study is done;
* ``cost(config)`` estimates the largest simulation (:class:`~memspice.engine.budget.RunCost`),
  held against the run options' caps by :meth:`Study.check_cost` before anything runs.

The CLI (``memspice STUDY``) and, later, the sweep runner find studies in the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Protocol, Sequence

from memspice.config import ConfigBase
from memspice.engine.options import RunOptions
from memspice.errors import INTERRUPTS, ParameterError, RunInterrupted

if TYPE_CHECKING:
    import pandas as pd

    from memspice.engine import Waveforms
    from memspice.engine.budget import RunCost
    from memspice.netlist import Netlist

#: ``progress(done, total, label, wall_time_s)``, called after each simulator job.
ProgressCallback = Callable[[int, int, str, float], None]


@dataclass(frozen=True)
class Job:
    """One simulation of a plan: the netlist, the file stem it is saved and run under, and a
    label for progress lines (e.g. ``"10 Hz"``)."""

    name: str
    netlist: "Netlist"
    label: str = ""


class StudyResult(Protocol):
    """What a study's result gives its report: a JSON-ready summary and named tables."""

    def summary(self) -> dict[str, Any]: ...

    def tables(self) -> dict[str, "pd.DataFrame"]: ...


def run_plan(
    plan: Callable[[Any], Sequence[Job]],
    analyse: Callable[[Any, Sequence[Job], Sequence["Waveforms"]], Any],
    config: Any,
    options: RunOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
    keep_partial: bool = False,
    executor: Any = None,
) -> Any:
    """Run the jobs of ``plan(config)`` one after another, or on ``executor`` (``as_completed(function,
    arguments)`` yielding ``(position, result)``, e.g. a process pool), and ``analyse`` their waveforms.

    With ``keep_partial`` (``analyse`` accepts the first k jobs), Ctrl-C or SIGTERM after some
    jobs raises :class:`~memspice.errors.RunInterrupted` carrying the analysis of the finished
    ones before the first unfinished one."""
    options = options or RunOptions()
    jobs = list(plan(config))
    outputs: list[Any] = [None] * len(jobs)
    try:
        if executor is None:
            for done, job in enumerate(jobs, start=1):
                outputs[done - 1] = run_job((job, options))
                if progress is not None:
                    progress(done, len(jobs), job.label or job.name, outputs[done - 1].wall_time_s)
        else:
            for done, (position, waveforms) in enumerate(
                    executor.as_completed(run_job, [(job, options) for job in jobs]), start=1):
                outputs[position] = waveforms
                if progress is not None:
                    progress(done, len(jobs), jobs[position].label or jobs[position].name, waveforms.wall_time_s)
    except INTERRUPTS as cause:
        done = outputs.index(None) if None in outputs else len(outputs)
        if not (keep_partial and done):
            raise
        raise RunInterrupted(cause, analyse(config, jobs[:done], outputs[:done]), done=done, total=len(jobs)) from cause
    return analyse(config, jobs, outputs)


def run_job(job_and_options: tuple[Job, RunOptions]) -> "Waveforms":
    """Simulate one job with the run options (a module-level function: a process pool can run it)."""
    from memspice.engine import run

    job, options = job_and_options
    return run(job.netlist, backend=options.engine, timeout_s=options.timeout_s, name=job.name)


def _no_summary_lines(result: Any) -> list[str]:
    return []


@dataclass(frozen=True, kw_only=True)
class Study:
    """A study: its names and help texts, its config class and the functions that run and report it.

    Give ``plan`` and ``analyse`` (run serially by :meth:`execute`), or ``loop`` for a study that
    runs itself (co-simulation: the next simulation depends on the last); a study may give all
    three, :meth:`execute` then runs ``loop`` and ``plan`` stays available (e.g. for golden netlists).
    """

    #: Command name, e.g. ``"hysteresis"``.
    name: str
    #: The config dataclass.
    Config: type[ConfigBase]
    #: One line for ``memspice --help``.
    title: str
    #: A paragraph for ``memspice STUDY --help``.
    description: str
    #: Outputs and examples for ``memspice STUDY --help``.
    epilog: str = ""
    #: ``report(result, folder)``: write ``result`` into ``folder``; returns file name -> path.
    report: Callable[[Any, Path], dict[str, Path]]
    #: ``plan(config)``: the simulator jobs of ``config`` (independent of each other).
    plan: Callable[[Any], Sequence[Job]] | None = None
    #: ``analyse(config, jobs, outputs)``: the result from the waveforms of every job (plan order).
    analyse: Callable[[Any, Sequence[Job], Sequence["Waveforms"]], Any] | None = None
    #: ``loop(config, options, *, progress)``: the whole run, for studies that run themselves.
    loop: Callable[..., Any] | None = None
    #: ``cost(config)``: the estimated size of the run's largest simulation, from the config alone.
    cost: Callable[[Any], "RunCost"]
    #: ``summary_lines(result)``: lines the CLI prints after the run (the headline numbers).
    summary_lines: Callable[[Any], list[str]] = _no_summary_lines
    #: ``analyse`` accepts the first k jobs of the plan: an interrupted run keeps the finished ones
    #: (a ``loop`` study raises :class:`~memspice.errors.RunInterrupted` itself).
    keeps_partial: bool = False
    #: Its points are independent and may run on an executor (``--workers N``): the plan's jobs,
    #: or for a ``loop`` study its ``executor=`` argument.
    parallel: bool = False
    #: ``check_options(options)``: refuse run options the study cannot use (e.g. an engine that
    #: cannot run its circuits), called with the cost check, before the output folder is touched.
    check_options: Callable[[RunOptions], None] | None = None

    def __post_init__(self) -> None:
        if self.loop is None and (self.plan is None or self.analyse is None):
            raise ValueError(f"study {self.name!r} needs loop, or plan and analyse")

    def check_cost(self, config: Any, options: RunOptions | None = None) -> "RunCost":
        """The run's estimated cost; ParameterError naming ``--max-points`` / ``--max-memory``
        when it exceeds the caps of ``options``."""
        from memspice.engine.budget import check_cost

        options = options or RunOptions()
        if self.check_options is not None:
            self.check_options(options)
        estimate = self.cost(config)
        check_cost(estimate, max_points=options.max_points, max_memory_bytes=options.max_memory_bytes)
        return estimate

    def execute(self, config: Any, options: RunOptions | None = None, *, progress: ProgressCallback | None = None,
                executor: Any = None) -> StudyResult:
        """Run the study: ``loop`` when it has one, else the plan's jobs (one after another, or on
        ``executor`` for a :attr:`parallel` study) and the analysis."""
        if executor is not None and not self.parallel:
            raise ParameterError(f"study {self.name} runs its simulations in order; it cannot use an executor")
        if self.loop is not None:
            extra = {"executor": executor} if executor is not None else {}
            return self.loop(config, options=options, progress=progress, **extra)
        assert self.plan is not None and self.analyse is not None
        return run_plan(self.plan, self.analyse, config, options, progress=progress, keep_partial=self.keeps_partial,
                        executor=executor)


_STUDIES: dict[str, Study] = {}


def register_study(study: Study) -> Study:
    """Add ``study`` to the registry under ``study.name``; returns it."""
    if study.name in _STUDIES:
        raise ValueError(f"study {study.name!r} is registered twice")
    _STUDIES[study.name] = study
    return study


def get_study(name: str) -> Study:
    """The study called ``name``; ParameterError listing the registered ones otherwise."""
    _load_studies()
    try:
        return _STUDIES[name]
    except KeyError:
        raise ParameterError(f"unknown study {name!r}; available: {', '.join(sorted(_STUDIES))}") from None


def all_studies() -> list[Study]:
    """Every registered study, in the order the CLI lists them."""
    _load_studies()
    return list(_STUDIES.values())


#: Modules of the package that are not studies.
_NOT_STUDIES = frozenset({"base", "report"})


def _load_studies() -> None:
    """Import every module of ``memspice.studies`` (each registers its study): a new study is
    one new module, nothing else to edit. Imported on first use, so importing memspice stays cheap."""
    import importlib
    import pkgutil

    import memspice.studies as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in _NOT_STUDIES:
            importlib.import_module(f"memspice.studies.{module.name}")
