"""Hysteresis fingerprints of a memristor from sampled voltage and current.

A two-terminal device is a memristor iff, under a bipolar periodic drive (Adhikari, Sah,
Kim, Chua, IEEE TCAS-I 60(11), 2013):

1. its V–I Lissajous figure is a loop pinched at the origin;
2. the lobe area shrinks as the drive frequency rises;
3. as the frequency tends to infinity the loop collapses to a single-valued curve.

This module turns arrays (one transient run per frequency) into the numbers behind
those three statements. It knows nothing about simulators: the inputs are 1-D arrays of
SI floats (time in s, voltage in V, current in A), all of the same length ``n``.

Conventions
-----------
* The loop is drawn with voltage on the x axis and current on the y axis, so areas are in
  V·A (= W, though nothing here is a power).
* Lobes are split at the zero crossings of ``v``; each half-cycle is closed along the
  ``v = 0`` axis between its two crossing points and its area is taken as an absolute
  value (the two lobes of a pinched loop are traversed in opposite senses).
* The normalised lobe area is ``A / (max|v| · max|i|)``: dimensionless, invariant under
  rescaling of either axis, ``π·|sin φ|`` for an ellipse of phase lag ``φ`` (at most π).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from memspice.errors import ParameterError

FloatArray = NDArray[np.float64]

#: Samples this close to the start of the last period (as a fraction of the period) are
#: kept: simulator time points placed on a breakpoint are off by rounding, not by design.
PERIOD_RTOL = 1e-6


# --------------------------------------------------------------------------- validation


def _as_1d(name: str, values: ArrayLike, *, like: tuple[str, int] | None = None) -> FloatArray:
    """Return ``values`` as a finite 1-D float array, or raise naming ``name``.

    ``like = (other_name, other_length)`` also requires the length of ``other_name``.
    """
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ParameterError(f"{name} must be a 1-D array of samples; got shape {array.shape}")
    if like is not None and array.shape[0] != like[1]:
        raise ParameterError(
            f"{name} has {array.shape[0]} samples but {like[0]} has {like[1]}; "
            "pass arrays sampled at the same time points"
        )
    if not np.all(np.isfinite(array)):
        bad = int(np.flatnonzero(~np.isfinite(array))[0])
        raise ParameterError(f"{name}[{bad}] = {array[bad]!r} is not finite; all samples must be finite")
    return array


def _loop_arrays(v: ArrayLike, i: ArrayLike, *, min_samples: int = 2) -> tuple[FloatArray, FloatArray]:
    """Validate a (v, i) pair: 1-D, finite, same length, at least ``min_samples`` samples."""
    v_arr = _as_1d("v", v)
    i_arr = _as_1d("i", i, like=("v", v_arr.shape[0]))
    if v_arr.shape[0] < min_samples:
        raise ParameterError(
            f"a V–I loop needs at least {min_samples} samples; got {v_arr.shape[0]}"
        )
    return v_arr, i_arr


def _peak(name: str, values: FloatArray) -> float:
    """``max|values|``, refusing zero (a normalisation by it would be 0/0)."""
    peak = float(np.max(np.abs(values)))
    if peak == 0.0:
        raise ParameterError(
            f"{name} is zero at every sample; the normalisation by max|{name}| is undefined"
        )
    return peak


# --------------------------------------------------------------------------- windowing


def last_period(time_s: ArrayLike, *arrays: ArrayLike, freq_hz: float) -> tuple[FloatArray, ...]:
    """Cut the samples of the last full drive period out of a transient result.

    Keeps the samples with ``t >= t_end - 1/freq_hz`` (inclusive, with a tolerance of
    :data:`PERIOD_RTOL` periods so that a time point meant to sit on the boundary is kept).

    Parameters
    ----------
    time_s:
        Sample times in s, shape ``(n,)``, non-decreasing.
    *arrays:
        Any number of signals sampled at ``time_s`` (e.g. ``v_V``, ``i_A``), each ``(n,)``.
    freq_hz:
        Drive frequency in Hz (> 0).

    Returns
    -------
    tuple of arrays
        ``(time_window_s, *array_windows)``, each of shape ``(m,)`` with ``m <= n``.

    Raises
    ------
    ParameterError
        if the arrays differ in shape, the time is not sorted, or the run is shorter than
        one period.
    """
    if not (math.isfinite(freq_hz) and freq_hz > 0):
        raise ParameterError(f"freq_hz={freq_hz!r} must be a finite frequency > 0 Hz")
    t = _as_1d("time_s", time_s)
    signals = [_as_1d(f"arrays[{k}]", a, like=("time_s", t.shape[0])) for k, a in enumerate(arrays)]
    if t.shape[0] < 2:
        raise ParameterError(f"time_s has {t.shape[0]} samples; a period needs at least 3")
    if np.any(np.diff(t) < 0):
        bad = int(np.flatnonzero(np.diff(t) < 0)[0])
        raise ParameterError(
            f"time_s must be non-decreasing; time_s[{bad + 1}]={t[bad + 1]!r} < time_s[{bad}]={t[bad]!r}"
        )
    period_s = 1.0 / freq_hz
    tolerance_s = PERIOD_RTOL * period_s
    duration_s = float(t[-1] - t[0])
    if duration_s < period_s - tolerance_s:
        raise ParameterError(
            f"the run covers {duration_s:g} s, less than one period 1/freq_hz = {period_s:g} s; "
            "simulate at least one full period (several, to reach steady state)"
        )
    keep = t >= t[-1] - period_s - tolerance_s
    if np.count_nonzero(keep) < 3:
        raise ParameterError(
            f"the last period holds only {np.count_nonzero(keep)} samples; "
            "lower the maximum time step to sample the loop"
        )
    return (t[keep], *(s[keep] for s in signals))


# --------------------------------------------------------------------------- crossings


class Crossings(NamedTuple):
    """Sign changes of a sampled signal, each located by linear interpolation.

    Attributes
    ----------
    time_s:
        Crossing times in s, shape ``(k,)``.
    index:
        Index of the first sample of the bracketing pair, shape ``(k,)`` int: the crossing
        lies in ``[t[index], t[index + 1]]`` (or at ``t[index]`` exactly).
    position:
        Fractional sample position of each crossing, shape ``(k,)``: ``index + fraction``.
    direction:
        ``+1`` where the signal goes from negative to positive, ``-1`` otherwise, ``(k,)``.
    """

    time_s: FloatArray
    index: NDArray[np.intp]
    position: FloatArray
    direction: NDArray[np.int8]


def _crossing_positions(values: FloatArray) -> tuple[FloatArray, NDArray[np.int8]]:
    """Fractional sample positions where ``values`` changes sign, and the direction.

    Exact zeros are skipped when looking for a sign change, so ``+, 0, 0, -`` is one
    crossing (placed in the middle of the run of zeros) and ``+, 0, +`` is none: a signal
    that only touches zero has not changed sign.
    """
    nonzero = np.flatnonzero(values != 0.0)
    if nonzero.size < 2:
        return np.empty(0), np.empty(0, dtype=np.int8)
    signs = np.sign(values[nonzero])
    flips = np.flatnonzero(signs[:-1] != signs[1:])
    before, after = nonzero[flips], nonzero[flips + 1]
    adjacent = after == before + 1
    v_before, v_after = values[before], values[after]
    # Between adjacent samples the root of the chord (the denominator cannot vanish: the two
    # values have opposite signs); otherwise v sat at exactly 0 for a while and the middle
    # of that run is the most neutral place to put the crossing.
    chord_root = before + v_before / (v_before - v_after)
    position = np.where(adjacent, chord_root, 0.5 * (before + after))
    direction = np.where(v_after > 0, 1, -1).astype(np.int8)
    return position.astype(float), direction


def zero_crossings(t: ArrayLike, v: ArrayLike) -> Crossings:
    """Find where ``v`` changes sign, interpolating linearly between samples.

    Parameters
    ----------
    t:
        Sample times in s (or any monotonic parameter), shape ``(n,)``.
    v:
        Signal, shape ``(n,)``.

    Returns
    -------
    Crossings
        Times, bracketing indices, fractional positions and directions, in sample order.
        Samples exactly at 0 are handled: a run of zeros between opposite signs is one
        crossing at the middle of the run; touching 0 without a sign change is none.
    """
    t_arr = _as_1d("t", t)
    v_arr = _as_1d("v", v, like=("t", t_arr.shape[0]))
    position, direction = _crossing_positions(v_arr)
    samples = np.arange(t_arr.shape[0], dtype=float)
    return Crossings(
        time_s=np.interp(position, samples, t_arr),
        index=np.floor(position).astype(np.intp),
        position=position,
        direction=direction,
    )


# --------------------------------------------------------------------------- fingerprints


def pinch_ratio(v: ArrayLike, i: ArrayLike) -> float:
    """How far the loop misses the origin: ``max_k |i(v = 0)_k| / max|i|``.

    ``i`` is interpolated linearly at each zero crossing ``k`` of ``v`` inside the bracketing
    sample pair. 0 for a loop pinched at the origin, ``|sin φ|`` for an ellipse with phase
    lag ``φ``.

    Parameters
    ----------
    v:
        Voltage across the device in V, shape ``(n,)``.
    i:
        Current through the device in A, shape ``(n,)``.

    Raises
    ------
    ParameterError (a ValueError)
        if ``v`` never changes sign (the pinch is defined at ``v = 0``) or ``i`` is all zero.
    """
    v_arr, i_arr = _loop_arrays(v, i)
    position, _ = _crossing_positions(v_arr)
    if position.size == 0:
        raise ParameterError(
            "v never changes sign, so the pinch ratio (current at v = 0) is undefined; "
            "pass at least one period of a bipolar drive"
        )
    i_cross = np.interp(position, np.arange(v_arr.shape[0], dtype=float), i_arr)
    return float(np.max(np.abs(i_cross)) / _peak("i", i_arr))


def _shoelace_area(x: FloatArray, y: FloatArray) -> float:
    """Absolute area of the polygon through ``(x, y)``, closed from the last to the first vertex."""
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def lobe_areas(v: ArrayLike, i: ArrayLike) -> list[float]:
    """Absolute area of each lobe (half-cycle) of one period of a V–I loop, in V·A.

    The samples are taken as one period of a periodic steady state: the sample after the
    last is the first. The period is rotated to start at a zero crossing of ``v``, so lobes
    cut by the window edges are joined again and the result does not depend on where the
    window starts. Each half-cycle runs between consecutive crossings; the interpolated
    crossing points ``(0, i_cross)`` are inserted at both ends and the polygon is closed
    along the ``v = 0`` axis, then its area is computed with the shoelace formula.

    Parameters
    ----------
    v:
        Voltage across the device in V over one period, shape ``(n,)``.
    i:
        Current through the device in A over the same period, shape ``(n,)``.

    Returns
    -------
    list of float
        One area per half-cycle, in the order they are traversed starting from the first
        zero crossing of ``v``. Two for one period of a bipolar drive.

    Raises
    ------
    ParameterError (a ValueError)
        if ``v`` never changes sign over the period.
    """
    v_arr, i_arr = _loop_arrays(v, i, min_samples=3)
    nonzero = np.flatnonzero(v_arr != 0.0)
    if nonzero.size == 0:
        raise ParameterError("v is zero at every sample; a loop with no voltage has no lobes")
    n = v_arr.shape[0]
    # Unroll two periods starting on a nonzero sample: every crossing of the periodic
    # signal (also one between the last and first sample, or a run of zeros across the
    # window edge) becomes an interior sign change, and the half-cycle that the window
    # edge cut in two is whole between the last crossing of period one and the first of
    # period two.
    order = (int(nonzero[0]) + np.arange(2 * n + 1)) % n
    v_two, i_two = v_arr[order], i_arr[order]
    position, _ = _crossing_positions(v_two)
    if position.size == 0:
        raise ParameterError(
            "v never changes sign over the period, so it has no lobes to split; "
            "drive the device with a bipolar periodic voltage"
        )
    # Both periods hold the same crossings, so the first half are period one's. (Selecting
    # them by position < n would fail when rounding puts a crossing exactly on sample n.)
    bounds = position[: position.size // 2 + 1]
    samples = np.arange(v_two.shape[0], dtype=float)
    i_bounds = np.interp(bounds, samples, i_two)
    areas: list[float] = []
    for lo, hi, i_lo, i_hi in zip(bounds[:-1], bounds[1:], i_bounds[:-1], i_bounds[1:]):
        within = (samples > lo) & (samples < hi)
        areas.append(_shoelace_area(np.r_[0.0, v_two[within], 0.0], np.r_[i_lo, i_two[within], i_hi]))
    return areas


def lobe_area(v: ArrayLike, i: ArrayLike) -> float:
    """Total lobe area of one period of a V–I loop, in V·A: the sum of :func:`lobe_areas`."""
    return float(sum(lobe_areas(v, i)))


def lobe_area_norm(v: ArrayLike, i: ArrayLike) -> float:
    """Dimensionless lobe area ``lobe_area / (max|v| · max|i|)`` of one period.

    Invariant under rescaling either axis; ``π`` for a circle, ``π·|sin φ|`` for an
    ellipse ``v = a sin ωt, i = b sin(ωt + φ)``, 0 for a single-valued curve.
    """
    v_arr, i_arr = _loop_arrays(v, i, min_samples=3)
    return lobe_area(v_arr, i_arr) / (_peak("v", v_arr) * _peak("i", i_arr))


@dataclass(frozen=True)
class Fingerprint:
    """The hysteresis numbers of one steady-state period at one drive frequency.

    Attributes
    ----------
    freq_hz:
        Drive frequency in Hz.
    lobe_area:
        Total lobe area in V·A.
    lobe_area_norm:
        ``lobe_area / (v_max_V · i_max_A)``, dimensionless.
    pinch_ratio:
        ``max |i(v = 0)| / i_max_A``, dimensionless; 0 for a pinched loop.
    v_max_V:
        Peak ``|v|`` over the period in V.
    i_max_A:
        Peak ``|i|`` over the period in A.
    """

    freq_hz: float
    lobe_area: float
    lobe_area_norm: float
    pinch_ratio: float
    v_max_V: float
    i_max_A: float

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not math.isfinite(value) or value < 0:
                raise ParameterError(f"Fingerprint.{name}={value!r} must be a finite number >= 0")
        if self.freq_hz == 0:
            raise ParameterError("Fingerprint.freq_hz=0 must be > 0 Hz")

    def as_row(self) -> dict[str, float]:
        """The fields as a flat ``{name: float}`` dict (one row of a table or CSV)."""
        return {name: float(value) for name, value in asdict(self).items()}


def fingerprint(time_s: ArrayLike, v: ArrayLike, i: ArrayLike, *, freq_hz: float) -> Fingerprint:
    """Fingerprint the last full period of a transient run driven at ``freq_hz``.

    Parameters
    ----------
    time_s:
        Sample times in s, shape ``(n,)``; the run should have reached steady state.
    v:
        Voltage across the device in V, shape ``(n,)``.
    i:
        Current through the device in A, shape ``(n,)``.
    freq_hz:
        Drive frequency in Hz.
    """
    _, v_win, i_win = last_period(time_s, v, i, freq_hz=freq_hz)
    # The window is one period of a periodic signal: close it so that a crossing falling
    # between its last and first sample is seen by the pinch ratio too.
    v_loop, i_loop = np.r_[v_win, v_win[0]], np.r_[i_win, i_win[0]]
    v_max, i_max = _peak("v", v_win), _peak("i", i_win)
    area = lobe_area(v_win, i_win)
    return Fingerprint(
        freq_hz=float(freq_hz),
        lobe_area=area,
        lobe_area_norm=area / (v_max * i_max),
        pinch_ratio=pinch_ratio(v_loop, i_loop),
        v_max_V=v_max,
        i_max_A=i_max,
    )


# --------------------------------------------------------------------------- verdicts


@dataclass(frozen=True)
class FingerprintVerdicts:
    """The three memristor fingerprints judged over a frequency sweep, with their evidence.

    Attributes
    ----------
    freqs_hz:
        Drive frequencies in Hz, ascending.
    lobe_area_norm:
        Normalised lobe area at each frequency (same order).
    pinch_ratios:
        Pinch ratio at each frequency (same order).
    pinch_tol, collapse_ratio:
        The thresholds the verdicts were judged with.
    pinched:
        Every pinch ratio is below ``pinch_tol`` (fingerprint 1).
    area_decreasing:
        The normalised lobe area falls strictly at every step up in frequency (fingerprint 2).
    high_frequency_collapse:
        ``area_ratio < collapse_ratio`` (fingerprint 3).
    max_pinch_ratio:
        The largest pinch ratio of the sweep.
    area_ratio:
        Normalised area at the highest over that at the lowest frequency; ``None`` when
        the lowest-frequency area is 0.
    high_frequency_slope:
        ``d ln(area_norm) / d ln(f)`` between the two highest frequencies (about −1 for an
        ideal memristor well above its corner frequency); ``None`` when either area is 0.
    """

    freqs_hz: tuple[float, ...]
    lobe_area_norm: tuple[float, ...]
    pinch_ratios: tuple[float, ...]
    pinch_tol: float
    collapse_ratio: float
    pinched: bool
    area_decreasing: bool
    high_frequency_collapse: bool
    max_pinch_ratio: float
    area_ratio: float | None
    high_frequency_slope: float | None

    @property
    def is_memristor(self) -> bool:
        """All three fingerprints hold."""
        return self.pinched and self.area_decreasing and self.high_frequency_collapse

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict: plain floats, bools, lists and ``None``."""
        return {
            "freqs_hz": [float(f) for f in self.freqs_hz],
            "lobe_area_norm": [float(a) for a in self.lobe_area_norm],
            "pinch_ratios": [float(p) for p in self.pinch_ratios],
            "pinch_tol": float(self.pinch_tol),
            "collapse_ratio": float(self.collapse_ratio),
            "pinched": bool(self.pinched),
            "area_decreasing": bool(self.area_decreasing),
            "high_frequency_collapse": bool(self.high_frequency_collapse),
            "is_memristor": bool(self.is_memristor),
            "max_pinch_ratio": float(self.max_pinch_ratio),
            "area_ratio": None if self.area_ratio is None else float(self.area_ratio),
            "high_frequency_slope": (
                None if self.high_frequency_slope is None else float(self.high_frequency_slope)
            ),
        }


def judge(
    fingerprints: Sequence[Fingerprint], *, pinch_tol: float = 1e-3, collapse_ratio: float = 0.1
) -> FingerprintVerdicts:
    """Judge the three memristor fingerprints over a frequency sweep.

    Parameters
    ----------
    fingerprints:
        One :class:`Fingerprint` per drive frequency, in any order; at least 2, with
        distinct frequencies.
    pinch_tol:
        A loop counts as pinched when its pinch ratio is below this (dimensionless).
    collapse_ratio:
        The loop has collapsed when the normalised area at the highest frequency is below
        this fraction of the area at the lowest.

    Raises
    ------
    ParameterError (a ValueError)
        with fewer than 2 fingerprints, repeated frequencies, or thresholds out of range.
    """
    if len(fingerprints) < 2:
        raise ParameterError(
            f"judge() needs fingerprints at >= 2 frequencies to judge the area trend; "
            f"got {len(fingerprints)}"
        )
    if not (math.isfinite(pinch_tol) and pinch_tol > 0):
        raise ParameterError(f"pinch_tol={pinch_tol!r} must be a finite number > 0")
    if not (math.isfinite(collapse_ratio) and 0 < collapse_ratio <= 1):
        raise ParameterError(f"collapse_ratio={collapse_ratio!r} must be in (0, 1]")
    ordered = sorted(fingerprints, key=lambda fp: fp.freq_hz)
    freqs = np.array([fp.freq_hz for fp in ordered])
    if np.any(np.diff(freqs) == 0):
        repeated = float(freqs[np.flatnonzero(np.diff(freqs) == 0)[0]])
        raise ParameterError(
            f"freq_hz={repeated:g} appears more than once; pass one fingerprint per frequency"
        )
    areas = np.array([fp.lobe_area_norm for fp in ordered])
    pinches = np.array([fp.pinch_ratio for fp in ordered])

    area_ratio = float(areas[-1] / areas[0]) if areas[0] > 0 else None
    slope = (
        float(np.log(areas[-1] / areas[-2]) / np.log(freqs[-1] / freqs[-2]))
        if areas[-1] > 0 and areas[-2] > 0
        else None
    )
    return FingerprintVerdicts(
        freqs_hz=tuple(float(f) for f in freqs),
        lobe_area_norm=tuple(float(a) for a in areas),
        pinch_ratios=tuple(float(p) for p in pinches),
        pinch_tol=float(pinch_tol),
        collapse_ratio=float(collapse_ratio),
        pinched=bool(np.all(pinches < pinch_tol)),
        area_decreasing=bool(np.all(np.diff(areas) < 0)),
        high_frequency_collapse=bool(areas[-1] < collapse_ratio * areas[0]),
        max_pinch_ratio=float(np.max(pinches)),
        area_ratio=area_ratio,
        high_frequency_slope=slope,
    )
