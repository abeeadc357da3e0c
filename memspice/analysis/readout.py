"""Typed readers of a readout block's results: its output voltages, and the ideal
sample-and-hold in front of the ADC.

The block itself (:mod:`memspice.circuits.readout`) only adds elements to a netlist and says
where its outputs are (:class:`~memspice.circuits.readout.ReadoutNodes`); these functions
read those nodes out of a run's :class:`~memspice.engine.Waveforms`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from memspice.errors import ParameterError

if TYPE_CHECKING:
    from memspice.circuits.readout import ReadoutNodes
    from memspice.engine.waveforms import Waveforms


def readout_voltages(waveforms: Waveforms, readout: ReadoutNodes, *, point: int | None = -1) -> np.ndarray:
    """The block's output voltages (V): ``(cols,)`` at time index ``point`` (default the last),
    ``(points, cols)`` for ``point=None``."""
    data = np.column_stack([waveforms.column(f"v({node})_V") for node in readout.outputs])
    return data if point is None else data[point]


def sample_readout(waveforms: Waveforms, readout: ReadoutNodes, times_s: Sequence[float] | float) -> np.ndarray:
    """The block's outputs linearly interpolated at ``times_s`` (s): ``(len(times), cols)``
    (``(cols,)`` for one time). The ideal sample-and-hold in front of the ADC.

    Raises ParameterError for a time outside the simulated span.
    """
    time = waveforms.column("time_s")
    scalar = np.ndim(times_s) == 0
    times = np.atleast_1d(np.asarray(times_s, dtype=float))
    if times.min() < time[0] or times.max() > time[-1]:
        raise ParameterError(f"sample times {times.min():g}..{times.max():g} s are outside the simulated "
                             f"{time[0]:g}..{time[-1]:g} s")
    values = np.column_stack([np.interp(times, time, waveforms.column(f"v({node})_V")) for node in readout.outputs])
    return values[0] if scalar else values
