"""Spike times, rates and raster data from simulated waveforms (pure numpy, no simulator)."""

from __future__ import annotations

import numpy as np

#: Level (V) at which a neuron's latch node counts as firing (its logic swing is 0-1 V).
SPIKE_LEVEL_V = 0.5


def spike_times(time_s: np.ndarray, spike_V: np.ndarray, level_V: float = SPIKE_LEVEL_V) -> np.ndarray:
    """Times (s) where ``spike_V`` rises through ``level_V``, linearly interpolated between
    the time points (``time_s`` and ``spike_V`` of shape ``(points,)``)."""
    time_s, spike_V = np.asarray(time_s, dtype=float), np.asarray(spike_V, dtype=float)
    k = np.flatnonzero((spike_V[:-1] < level_V) & (spike_V[1:] >= level_V))
    fraction = (level_V - spike_V[k]) / (spike_V[k + 1] - spike_V[k])
    return time_s[k] + fraction * (time_s[k + 1] - time_s[k])


def steady_rate_hz(times_s: np.ndarray) -> float:
    """Firing rate (Hz) from the mean interval between successive spikes (the first spike,
    which starts from rest, is the start of the first interval): NaN below two spikes."""
    times_s = np.asarray(times_s, dtype=float)
    if times_s.size < 2:
        return float("nan")
    return float((times_s.size - 1) / (times_s[-1] - times_s[0]))
