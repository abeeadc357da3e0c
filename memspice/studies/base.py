"""The shape every study has: a config (data), a plan of simulator jobs, an analysis, a report.

A study is a :class:`Study` subclass registered by name (:func:`register_study`). Its
``Config`` is a frozen :class:`~memspice.config.ConfigBase` dataclass: what is simulated.
How it runs is a :class:`~memspice.engine.options.RunOptions`, passed beside the config.

* :meth:`Study.plan` turns a config into :class:`Job` s, netlists with a file stem and a
  label, independent of each other (an executor may run them in any order, anywhere);
* :meth:`Study.analyse` turns the jobs' waveforms into a result object (a study's own
  frozen dataclass with ``summary()``, a JSON-ready dict, and ``tables()``, DataFrames);
* :meth:`Study.execute` runs the plan and the analysis (serially here); studies whose next
  simulation depends on the last (co-simulation) override it;
* :meth:`Study.report` writes the result into a folder through
  :func:`memspice.studies.report.write_report`, ``summary.json`` last;
* :meth:`Study.summary_lines` is what the CLI prints when the study is done.

The CLI (``memspice STUDY``) and, later, the sweep runner find studies in the registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Protocol, Sequence

from memspice.config import ConfigBase
from memspice.engine.options import RunOptions
from memspice.errors import ParameterError

if TYPE_CHECKING:
    import pandas as pd

    from memspice.engine import Waveforms
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


class Study:
    """Base class of every study; subclasses set the class attributes and the methods they need."""

    #: Command name, e.g. ``"hysteresis"``.
    name: ClassVar[str]
    #: One line for ``memspice --help``.
    title: ClassVar[str]
    #: A paragraph for ``memspice STUDY --help``.
    description: ClassVar[str]
    #: Outputs and examples for ``memspice STUDY --help``.
    epilog: ClassVar[str] = ""
    #: The config dataclass.
    Config: ClassVar[type[ConfigBase]]

    def plan(self, config: Any) -> Sequence[Job]:
        """The simulator jobs of ``config`` (independent of each other)."""
        raise NotImplementedError(f"study {self.name} has no plan; it overrides execute()")

    def analyse(self, config: Any, jobs: Sequence[Job], outputs: Sequence["Waveforms"]) -> StudyResult:
        """The result from the waveforms of every job (same order as the plan)."""
        raise NotImplementedError

    def execute(self, config: Any, options: RunOptions | None = None, *, progress: ProgressCallback | None = None) -> StudyResult:
        """Run the plan one job after another and analyse it."""
        from memspice.engine import run

        options = options or RunOptions()
        jobs = list(self.plan(config))
        outputs = []
        for done, job in enumerate(jobs, start=1):
            waveforms = run(job.netlist, backend=options.engine, timeout_s=options.timeout_s, name=job.name)
            outputs.append(waveforms)
            if progress is not None:
                progress(done, len(jobs), job.label or job.name, waveforms.wall_time_s)
        return self.analyse(config, jobs, outputs)

    def report(self, result: Any, folder: Path) -> dict[str, Path]:
        """Write ``result`` into ``folder``; returns file name -> path."""
        raise NotImplementedError

    def summary_lines(self, result: Any) -> list[str]:
        """Lines the CLI prints after the run (the headline numbers)."""
        return []


_STUDIES: dict[str, Study] = {}


def register_study(cls: type[Study]) -> type[Study]:
    """Class decorator: add one instance of ``cls`` to the registry under ``cls.name``."""
    if cls.name in _STUDIES:
        raise ValueError(f"study {cls.name!r} is registered twice")
    _STUDIES[cls.name] = cls()
    return cls


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
