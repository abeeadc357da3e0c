"""Transitional: the names programming.py, coincidence.py and their tests still import from here.

The write-scheme study is :mod:`memspice.studies.write_scheme`; these names come from the
layers below it (:mod:`memspice.circuits.patterns`, :mod:`memspice.spicelib.presets`). Delete
this module once program and coincidence are ported onto the study spine.
"""

from __future__ import annotations

import numpy as np

from memspice.circuits.patterns import PATTERNS, pattern_values
from memspice.spicelib.presets import WRITE_DEVICE_PARAMS

__all__ = ["PATTERNS", "WRITE_PARAMS", "state_pattern"]

#: VTEAM parameters of the default write device.
WRITE_PARAMS = WRITE_DEVICE_PARAMS


def state_pattern(rows: int, cols: int, *, pattern: str, state_on: float, state_off: float,
                  seed: int = 0) -> np.ndarray:
    """Initial states under ``pattern`` (:mod:`memspice.circuits.patterns`)."""
    return pattern_values(rows, cols, pattern, on=state_on, off=state_off, seed=seed)
