"""The simulation engine: run an ngspice netlist, get its waveforms as a table.

>>> from memspice.engine import run
>>> wf = run(netlist_text)                      # doctest: +SKIP
>>> wf.column("time"), wf.column("v(a)")        # doctest: +SKIP

Two backends give the same numbers: ``"shared"`` (libngspice in-process, the default) and
``"subprocess"`` (``ngspice -b -r``). Column names are described in
:mod:`memspice.engine.waveforms`. Importing this package neither imports PySpice nor looks
for ngspice; that happens on the first run.
"""

from __future__ import annotations

from memspice.engine import shared_backend, subprocess_backend
from memspice.engine.runner import BACKENDS, DEFAULT_BACKEND, resolve_backend, run
from memspice.engine.waveforms import Waveforms

__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Waveforms", "ngspice_version", "run"]


def ngspice_version(*, backend: str | None = None) -> str:
    """Version of the ngspice a backend uses, e.g. ``"ngspice-39"``.

    ``backend`` defaults as in :func:`run`. The subprocess backend asks ``ngspice -v``;
    the shared backend loads the library (once per process) and asks it.

    Raises
    ------
    NgspiceNotFoundError
        when that backend's ngspice is not installed.
    """
    if resolve_backend(backend) == "shared":
        return shared_backend.version()
    return subprocess_backend.executable_version(subprocess_backend.find_ngspice_executable())
