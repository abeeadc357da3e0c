"""Sweeps and Monte Carlo over any study, on any executor, into a resumable result store.

* :mod:`~memspice.sweeps.spec`: the sweep file (:class:`Sweep`, :func:`load_sweep`) and its points;
* :mod:`~memspice.sweeps.executors`: serial, local process pool, Dask distributed;
* :mod:`~memspice.sweeps.store`: the content-addressed store folder, one record per point;
* :mod:`~memspice.sweeps.worker`: what a worker does for one point;
* :mod:`~memspice.sweeps.results` and :mod:`~memspice.sweeps.plots`: the table and ``sweep.png``;
* :mod:`~memspice.sweeps.run`: :func:`run_sweep`, which ties them together;
* :mod:`~memspice.sweeps.cli`: ``memspice sweep SWEEP.toml``.

Importing this package imports neither Dask nor matplotlib; an executor or a plot does.
"""

from memspice.sweeps.executors import DaskExecutor, Executor, PoolExecutor, SerialExecutor, make_executor
from memspice.sweeps.run import SweepOutcome, run_sweep
from memspice.sweeps.spec import MonteCarlo, Sweep, SweepPoint, load_sweep

__all__ = ["DaskExecutor", "Executor", "MonteCarlo", "PoolExecutor", "SerialExecutor", "Sweep", "SweepOutcome",
           "SweepPoint", "load_sweep", "make_executor", "run_sweep"]
