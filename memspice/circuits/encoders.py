"""Word-line input encoders: per-row source waveforms for ``add_crossbar(word_lines=...)``.

Every encoder takes non-negative inputs ``x`` of shape ``(rows,)`` (after ReLU), quantises
them to ``bits``-bit unsigned codes ``n = round(x / x_fs · (2**bits − 1))`` (``x_fs`` the input
full scale) and returns an :class:`EncodedInputs`: one ``Source`` per row, the codes, the
simulation stop time and the read windows ``(start_s, end_s)`` in which a readout should
sample (resistive TIA: at the end of a window) or integrate (integrator: reset at the
start, sample at the end).

* :func:`amplitude_inputs` (N-bit DAC): a pulse of fixed width at ``V_read · n / (2**bits − 1)``.
* :func:`pulse_width_inputs` (time encoding, no DAC): one read voltage ``V_read`` for a
  duration ``max_width_s · n / (2**bits − 1)``; the edges are written so the area of the
  pulse is exactly ``V_read · duration``, so an integrator's charge is proportional to ``n``.
* :func:`bit_serial_inputs` (Yao 2020): ``bits`` cycles; cycle ``k`` applies ``V_read`` if bit
  ``k`` of ``n`` (counted from the LSB, LSB first) is 1, else 0 V. Combine the per-cycle
  results with :func:`memspice.circuits.mapping.shift_and_add`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from memspice.circuits.crossbar import Source
from memspice.circuits.mapping import bit_planes, check_bits
from memspice.errors import ParameterError
from memspice.netlist import Dc, Pwl
from memspice.validation import finite_number


@dataclass(frozen=True, eq=False)
class EncodedInputs:
    """Word-line sources of one input vector and when to read.

    Attributes
    ----------
    sources: one ``Source`` per row, for ``add_crossbar(word_lines=...)``.
    codes: ``(rows,)`` integer input codes.
    windows_s: ``(cycles, 2)`` integration windows ``(start_s, end_s)``, each holding a whole
        pulse; one per cycle (bit-serial: ``bits`` cycles, else one).
    sample_s: ``(cycles,)`` sampling instants of a resistive TIA: the end of each flat top.
    stop_s: end of the last window plus the trailing edge (s).
    volts_per_code: word-line volts per input code (amplitude); ``V_read`` otherwise.
    seconds_per_code: pulse duration per input code (pulse width); 0 otherwise.
    """

    sources: tuple[Source, ...]
    codes: np.ndarray
    windows_s: np.ndarray
    sample_s: np.ndarray
    stop_s: float
    volts_per_code: float
    seconds_per_code: float


def input_codes(inputs: object, *, bits: int, full_scale: float) -> np.ndarray:
    """``round(x / full_scale · (2**bits − 1))`` as int64; inputs must be finite, in ``[0, full_scale]``."""
    bits = check_bits(bits, what="input_bits")
    x = np.asarray(inputs, dtype=float)
    if not (math.isfinite(full_scale) and full_scale > 0):
        raise ParameterError(f"input full_scale={full_scale!r} must be a finite number > 0")
    if not np.all(np.isfinite(x)):
        raise ParameterError(f"inputs[{int(np.flatnonzero(~np.isfinite(x.ravel()))[0])}] is not finite")
    if np.any(x < 0) or np.any(x > full_scale * (1 + 1e-12)):
        raise ParameterError(f"inputs must lie in [0, {full_scale!r}] (non-negative, after ReLU); "
                             f"got {float(x.min())!r} .. {float(x.max())!r}")
    return np.round(x / full_scale * (2**bits - 1)).astype(np.int64)


def trapezoid_points(v: float, start: float, duration: float, edge: float) -> list[tuple[float, float]]:
    """PWL points of a pulse of area ``v·duration`` exactly: rise over ``edge`` from ``start``,
    fall over ``edge`` ending at ``start + duration + edge`` (V, s)."""
    return [(start, 0.0), (start + edge, v), (start + duration, v), (start + duration + edge, 0.0)]


def pwl_source(points: list[tuple[float, float]]) -> Source:
    """A word-line source of PWL ``points`` (from 0 V at t = 0), ``Dc(0)`` when there are none."""
    return Source(Pwl(tuple([(0.0, 0.0)] + [p for p in points if p[0] > 0]))) if points else Source(Dc(0.0))


def amplitude_inputs(inputs: object, *, bits: int, full_scale: float, v_read_V: float, width_s: float = 1e-6,
                     start_s: float = 10e-9, edge_s: float = 1e-9) -> EncodedInputs:
    """N-bit DAC: row i gets one pulse of ``V_read · n_i / (2**bits − 1)`` volts rising at
    ``start_s``, flat top to ``start_s + width_s``, area ``V · width_s``. One cycle, ending one
    edge after the pulse; TIA sample at the end of the flat top."""
    codes = input_codes(inputs, bits=bits, full_scale=full_scale)
    v_read_V, width_s, edge_s = finite_number(v_read_V, "v_read_V", low=0.0), finite_number(width_s, "width_s", low=0.0), finite_number(edge_s, "edge_s", low=0.0)
    start_s = _non_negative(start_s, "start_s")
    if width_s <= edge_s:
        raise ParameterError(f"width_s={width_s!r} must exceed edge_s={edge_s!r}")
    step = v_read_V / (2**bits - 1)
    sources = tuple(pwl_source(trapezoid_points(float(n) * step, start_s, width_s, edge_s)) if n else Source(Dc(0.0))
                    for n in codes)
    stop = start_s + width_s + 2 * edge_s
    return EncodedInputs(sources, codes, np.array([[0.0, stop]]), np.array([start_s + width_s]), stop, step, 0.0)


def pulse_width_inputs(inputs: object, *, bits: int, full_scale: float, v_read_V: float, max_width_s: float = 1e-6,
                       start_s: float = 10e-9, edge_s: float = 1e-9) -> EncodedInputs:
    """Time encoding: row i gets ``V_read`` from ``start_s`` for ``max_width_s · n_i / (2**bits − 1)``
    (pulse area exactly ``V_read`` × that duration; a duration shorter than one edge becomes a
    triangle of base ``2·edge_s`` with the same area). One cycle, ending one edge after the
    longest possible pulse; sample at its end (integrating readout)."""
    codes = input_codes(inputs, bits=bits, full_scale=full_scale)
    v_read_V, max_width_s, edge_s = (finite_number(v_read_V, "v_read_V", low=0.0), finite_number(max_width_s, "max_width_s", low=0.0),
                                     finite_number(edge_s, "edge_s", low=0.0))
    start_s = _non_negative(start_s, "start_s")
    per_code = max_width_s / (2**bits - 1)
    sources = []
    for n in codes:
        duration = float(n) * per_code
        if n == 0:
            sources.append(Source(Dc(0.0)))
        elif duration > edge_s:
            sources.append(pwl_source(trapezoid_points(v_read_V, start_s, duration, edge_s)))
        else:
            height = v_read_V * duration / edge_s
            sources.append(pwl_source([(start_s, 0.0), (start_s + edge_s, height), (start_s + 2 * edge_s, 0.0)]))
    stop = start_s + max(max_width_s, edge_s) + 2 * edge_s
    return EncodedInputs(tuple(sources), codes, np.array([[0.0, stop]]), np.array([stop]), stop, v_read_V, per_code)


def bit_serial_inputs(inputs: object, *, bits: int, v_read_V: float, width_s: float = 200e-9,
                      cycle_s: float | None = None, start_s: float = 1e-9, edge_s: float = 1e-9) -> EncodedInputs:
    """Bit-serial: ``bits`` cycles of ``cycle_s`` (default ``start_s + width_s + 2·edge_s``); in
    cycle k row i gets a pulse of ``V_read`` rising at ``k·cycle_s + start_s``, flat top to
    ``k·cycle_s + start_s + width_s`` (area ``V_read · width_s``), if bit k (LSB first) of its
    code is 1, else stays at 0 V.

    Inputs must already be integer codes in ``0 .. 2**bits − 1``. Window of cycle k: the whole
    cycle; TIA sample: the end of its flat top.
    """
    bits = check_bits(bits, what="input_bits")
    planes = bit_planes(inputs, bits)
    v_read_V, width_s, edge_s = finite_number(v_read_V, "v_read_V", low=0.0), finite_number(width_s, "width_s", low=0.0), finite_number(edge_s, "edge_s", low=0.0)
    start_s = _non_negative(start_s, "start_s")
    if width_s <= edge_s:
        raise ParameterError(f"width_s={width_s!r} must exceed edge_s={edge_s!r}")
    shortest = start_s + width_s + 2 * edge_s
    cycle_s = shortest if cycle_s is None else finite_number(cycle_s, "cycle_s", low=0.0)
    if cycle_s < shortest * (1 - 1e-12):
        raise ParameterError(f"cycle_s={cycle_s!r} is shorter than start_s + width_s + 2·edge_s = {shortest!r} s")
    codes = np.asarray(inputs, dtype=float).astype(np.int64)
    sources = []
    for row in range(planes.shape[1]):
        points: list[tuple[float, float]] = []
        for k in range(bits):
            if planes[k, row]:
                points += trapezoid_points(v_read_V, k * cycle_s + start_s, width_s, edge_s)
        sources.append(pwl_source(merge_points(points)))
    windows = np.array([[k * cycle_s, (k + 1) * cycle_s] for k in range(bits)])
    samples = np.array([k * cycle_s + start_s + width_s for k in range(bits)])
    return EncodedInputs(tuple(sources), codes, windows, samples, bits * cycle_s, v_read_V, 0.0)


def _non_negative(value: float, what: str) -> float:
    if not (isinstance(value, (int, float, np.floating)) and math.isfinite(value) and value >= 0):
        raise ParameterError(f"{what}={value!r} must be a finite number >= 0")
    return float(value)


def merge_points(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Drop repeated times (a pulse ending where the next starts) so PWL times strictly increase."""
    merged: list[tuple[float, float]] = []
    for point in points:
        if merged and point[0] <= merged[-1][0]:
            continue
        merged.append(point)
    return merged
