"""Imported once by the process pool's fork server, before it forks the workers: every study and
the libraries their reports use are then in memory in each worker from its first point on
(a spawned worker would spend about a second importing them). No simulator is loaded here.

The fork server also asks to be killed when the sweep's process dies: Python's fork server
outlives a ``kill -9`` of its parent, and its workers (which die with it,
:func:`~memspice.sweeps.executors.die_with_parent`) would go on publishing points.
"""

from memspice.sweeps.executors import die_with_parent

die_with_parent()

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import matplotlib.pyplot  # noqa: E402,F401
import pandas  # noqa: E402,F401
import pyarrow.parquet  # noqa: E402,F401

import memspice.sweeps.worker  # noqa: E402,F401
from memspice.studies import all_studies  # noqa: E402

all_studies()
