"""Signed weights to conductance pairs, and the shift-and-add of bit-serial inputs (pure numpy).

Mapping (differential pair, Yao et al. 2020: ``w ∝ G⁺ − G⁻``)
--------------------------------------------------------------
A weight matrix ``W`` of shape ``(rows, outputs)`` with range ``R`` (``weight_range``; default
``max|W|``) is mapped with ``ΔG = (G_max − G_min) / R`` siemens per unit of weight::

    w >= 0:  G⁺ = G_min + w·ΔG,   G⁻ = G_min
    w <  0:  G⁺ = G_min,          G⁻ = G_min + |w|·ΔG

so ``(G⁺ − G⁻) / ΔG = w`` and ``|w| = R`` reaches ``G_max``. One device of each pair always
sits at ``G_min``: its current cancels in the difference.

Quantisation to ``L`` levels (``levels=L``) first rounds every weight to the nearest of ``L``
values spaced evenly and symmetrically over ``[−R, R]`` (step ``2R/(L−1)``). With odd ``L``
zero is a level; ``L = 15`` gives the levels −7…7 of Yao 2020 when ``R = 7``. Integer weights
inside the level range then map exactly: back-mapping returns them to float precision. When
``levels`` is given and every weight is an integer with ``|w| <= (L−1)/2``, the default range
is ``(L−1)/2`` (one level per integer), not ``max|W|``.

Bit-serial inputs (Yao 2020: 8-bit inputs in 8 cycles)
------------------------------------------------------
Inputs are unsigned integers ``0 <= x < 2**bits`` (non-negative after ReLU). Cycle ``k``
(``k = 0`` first) applies bit plane ``k``, which is bit ``k`` counted from the least
significant bit (LSB first). :func:`shift_and_add` combines per-cycle results as
``Σ_k 2**k · codes[k]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from memspice.errors import ParameterError


@dataclass(frozen=True, eq=False)
class ConductancePairs:
    """A mapped weight matrix.

    Attributes
    ----------
    g_plus_S, g_minus_S:
        ``(rows, outputs)`` conductances of the positive and negative device of each pair (S).
    weights_quantised:
        ``(rows, outputs)`` the weights actually mapped (after quantisation, if any).
    delta_g_S:
        Siemens per unit of weight, ``(G_max − G_min) / weight_range``.
    weight_range:
        ``R``: the weight that maps to ``G_max``.
    g_min_S, g_max_S:
        The conductance window (S).
    levels:
        Number of levels, or None without quantisation.
    """

    g_plus_S: np.ndarray
    g_minus_S: np.ndarray
    weights_quantised: np.ndarray
    delta_g_S: float
    weight_range: float
    g_min_S: float
    g_max_S: float
    levels: int | None

    def weights(self) -> np.ndarray:
        """Back-mapped weights ``(G⁺ − G⁻) / ΔG``, shape ``(rows, outputs)``."""
        return (self.g_plus_S - self.g_minus_S) / self.delta_g_S


def _weights(weights: object) -> np.ndarray:
    try:
        array = np.asarray(weights, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"weights could not be read as a float array: {exc}") from None
    if array.ndim != 2 or 0 in array.shape:
        raise ParameterError(f"weights must be a (rows, outputs) matrix; got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        bad = tuple(int(k) for k in np.argwhere(~np.isfinite(array))[0])
        raise ParameterError(f"weights[{bad[0]}, {bad[1]}] = {float(array[bad])!r} is not finite")
    return array


def check_levels(levels: object) -> int | None:
    """``levels`` as an int >= 2, or None; ParameterError otherwise."""
    if levels is None:
        return None
    if isinstance(levels, bool) or not isinstance(levels, (int, np.integer)) or levels < 2:
        raise ParameterError(f"levels={levels!r} is not allowed; use an integer >= 2 (e.g. 15 for −7…7) or None")
    return int(levels)


def default_weight_range(weights: np.ndarray, levels: int | None) -> float:
    """The range ``R`` used when none is given (see the module docstring)."""
    half = None if levels is None else (levels - 1) / 2
    if half is not None and np.all(weights == np.round(weights)) and np.max(np.abs(weights)) <= half:
        return float(half)
    largest = float(np.max(np.abs(weights)))
    return largest if largest > 0 else 1.0


def quantise(weights: np.ndarray, *, levels: int, weight_range: float) -> np.ndarray:
    """Round ``weights`` to the nearest of ``levels`` values evenly spaced over ``[−R, R]`` (clipped)."""
    levels = check_levels(levels)
    step = 2.0 * weight_range / (levels - 1)
    index = np.clip(np.round((np.asarray(weights, dtype=float) + weight_range) / step), 0, levels - 1)
    # index·step − R is not exact in floats; centre the grid on 0 so integer levels come out exact.
    return (index - (levels - 1) / 2) * step


def map_weights(
    weights: object,
    *,
    g_min_S: float,
    g_max_S: float,
    levels: int | None = None,
    weight_range: float | None = None,
) -> ConductancePairs:
    """Map signed ``weights`` ``(rows, outputs)`` to conductance pairs in ``[g_min_S, g_max_S]``.

    Raises
    ------
    ParameterError
        for a non-finite or non-2-D weight matrix, ``0 < g_min_S < g_max_S`` violated,
        ``levels < 2`` or a non-positive ``weight_range``.
    """
    array = _weights(weights)
    levels = check_levels(levels)
    for name, value in (("g_min_S", g_min_S), ("g_max_S", g_max_S)):
        if not isinstance(value, (int, float, np.floating)) or not math.isfinite(value) or value <= 0:
            raise ParameterError(f"{name}={value!r} is not allowed; use a finite conductance > 0 S")
    if g_max_S <= g_min_S:
        raise ParameterError(f"g_max_S={g_max_S!r} must exceed g_min_S={g_min_S!r} S")
    if weight_range is None:
        weight_range = default_weight_range(array, levels)
    elif not math.isfinite(weight_range) or weight_range <= 0:
        raise ParameterError(f"weight_range={weight_range!r} is not allowed; use a finite number > 0")
    mapped = array if levels is None else quantise(array, levels=levels, weight_range=weight_range)
    mapped = np.clip(mapped, -weight_range, weight_range)
    delta_g = (g_max_S - g_min_S) / weight_range
    g_plus = g_min_S + np.where(mapped > 0, mapped, 0.0) * delta_g
    g_minus = g_min_S + np.where(mapped < 0, -mapped, 0.0) * delta_g
    return ConductancePairs(g_plus_S=g_plus, g_minus_S=g_minus, weights_quantised=mapped, delta_g_S=float(delta_g),
                            weight_range=float(weight_range), g_min_S=float(g_min_S), g_max_S=float(g_max_S),
                            levels=levels)


def check_bits(bits: object, *, what: str = "bits", maximum: int = 16) -> int:
    """``bits`` as an int in ``1..maximum``; ParameterError otherwise."""
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 1 <= bits <= maximum:
        raise ParameterError(f"{what}={bits!r} is not allowed; use an integer from 1 to {maximum}")
    return int(bits)


def bit_planes(inputs: object, bits: int) -> np.ndarray:
    """Bit planes of unsigned integer inputs, LSB first: shape ``(bits,) + inputs.shape``, values 0/1.

    Raises ParameterError unless every input is an integer in ``0 .. 2**bits − 1``.
    """
    bits = check_bits(bits)
    array = np.asarray(inputs, dtype=float)
    if not np.all(np.isfinite(array)) or np.any(array != np.round(array)) or np.any(array < 0) \
            or np.any(array > 2**bits - 1):
        raise ParameterError(f"bit-serial inputs must be integers in 0..{2**bits - 1} for {bits} bits; "
                             f"got values from {np.nanmin(array)!r} to {np.nanmax(array)!r}")
    integers = array.astype(np.int64)
    return np.stack([(integers >> k) & 1 for k in range(bits)]).astype(np.int64)


def shift_and_add(codes_per_bit: object, bits: int) -> np.ndarray:
    """Combine per-cycle results of bit-serial inputs: ``Σ_k 2**k · codes_per_bit[k]``.

    ``codes_per_bit`` has shape ``(bits, ...)``; entry ``k`` is the (signed) result of cycle
    ``k``, which applied bit ``k`` of the inputs counted from the LSB (LSB first). Inputs are
    unsigned (two's complement is not used: inputs are non-negative after ReLU). Integer
    codes give an exact integer result (int64); float codes a float result.
    """
    bits = check_bits(bits)
    codes = np.asarray(codes_per_bit)
    if codes.ndim < 1 or codes.shape[0] != bits:
        raise ParameterError(f"codes_per_bit must have shape (bits={bits}, ...); got {codes.shape}")
    weights = np.array([2**k for k in range(bits)], dtype=np.int64 if codes.dtype.kind in "iu" else float)
    return np.tensordot(weights, codes, axes=(0, 0))
