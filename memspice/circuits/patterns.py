"""Data patterns of an array: which cells are ON, as a boolean ``(rows, cols)`` mask.

One vocabulary for every study: ``worst`` (every cell ON: lowest resistance, so the largest
sneak currents and IR drop), ``all-off``, ``checkerboard`` (ON where row + col is even) and
``random`` (ON with probability 1/2, from a seed).
"""

from __future__ import annotations

import numpy as np

from memspice.errors import ParameterError

PATTERNS: tuple[str, ...] = ("worst", "random", "checkerboard", "all-off")


def on_mask(rows: int, cols: int, pattern: str, *, seed: int = 0) -> np.ndarray:
    """``(rows, cols)`` bool: True where the cell is ON under ``pattern``."""
    if pattern == "worst":
        return np.ones((rows, cols), dtype=bool)
    if pattern == "all-off":
        return np.zeros((rows, cols), dtype=bool)
    if pattern == "checkerboard":
        return (np.add.outer(np.arange(rows), np.arange(cols)) % 2) == 0
    if pattern == "random":
        return np.random.default_rng(seed).random((rows, cols)) < 0.5
    raise ParameterError(f"pattern={pattern!r} is not allowed; use one of {', '.join(PATTERNS)}")


def pattern_values(rows: int, cols: int, pattern: str, *, on: float, off: float, seed: int = 0) -> np.ndarray:
    """``(rows, cols)`` float: ``on`` where the cell is ON under ``pattern``, ``off`` elsewhere
    (conductances in S, or device states)."""
    return np.where(on_mask(rows, cols, pattern, seed=seed), float(on), float(off))
