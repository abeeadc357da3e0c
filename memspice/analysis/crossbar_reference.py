"""An independent answer for linear crossbars: a scipy.sparse nodal (KCL) solve.

No simulator and no netlist code: the network of :mod:`memspice.circuits.crossbar` is
assembled here directly as a conductance matrix (KCL at every unknown node, the terminations
as known voltages) and solved by SuperLU (``scipy.sparse.linalg.splu``) with the unknowns in
a nested-dissection order of the cross-point grid. Tests and benchmarks hold the simulated
results against it. With 1 Ω wires (2-core machine): 128×128 0.10 s, 256×256 0.44 s,
512×512 2.9 s (``spsolve`` with its default COLAMD ordering: 0.36 s, 2.3 s, 25 s).

Network (the default is badcrossbar's topology)
-----------------------------------------------
* Unknowns: the word-line voltage ``W[i, j]`` and bit-line voltage ``B[i, j]`` at every
  cross-point; a line with zero segment resistance is one node at its termination voltage
  (no unknowns), so with ``r_word_ohm = r_bit_ohm = 0`` the output currents are exactly
  ``Gᵀ·(V − bias)`` with no matrix at all.
* Word line i: ``V[i] --r_word-- W[i,0] --r_word-- ... -- W[i,n−1]``; with ``drive="both"``
  also ``W[i,n−1] --r_word-- V[i]``.
* Bit line j: ``B[0,j] --r_bit-- ... -- B[m−1,j] --r_bit-- bias[j]`` (bias 0 V: a virtual
  ground); with ``sink="both"`` also ``bias[j] --r_bit-- B[0,j]``.
* Cell (i, j): conductance ``G[i, j]`` from ``W[i, j]`` to ``B[i, j]``.
* Output current j: the current flowing from bit line j into its sink(s), positive from
  the array into the sink (with ``r_bit = 0`` the sum of the column's cell currents).

Mapping to badcrossbar (``badcrossbar.compute``, PyPI, version 1.1.0)
--------------------------------------------------------------------
================================  ==================================================
here                              badcrossbar
================================  ==================================================
``conductance_S`` (m, n), S       ``resistances = 1/conductance_S`` (m, n), Ω
``inputs_V`` (m,)                 ``applied_voltages = inputs_V[:, None]`` (m, p=1)
``r_word_ohm``, ``r_bit_ohm``     ``r_i_word_line=float(...)``, ``r_i_bit_line=float(...)``
                                  (Python floats: numpy scalars are refused)
``output_currents_A`` (n,)        ``solution.currents.output[0]`` (p=1, n)
``word_voltages_V`` (m, n)        ``solution.voltages.word_line`` (m, n for p = 1)
``bit_voltages_V`` (m, n)         ``solution.voltages.bit_line``
``cell_currents_A`` (m, n)        ``solution.currents.device``
================================  ==================================================

Conventions match only for the default topology (``drive="left"``, ``sink="bottom"``,
bit-line biases 0 V): badcrossbar has no other terminations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from memspice.errors import ParameterError


@dataclass(frozen=True, eq=False)
class CrossbarSolution:
    """Node voltages and branch currents of a linear crossbar (SI units).

    Attributes
    ----------
    output_currents_A:
        ``(n,)``: current from each bit line into its sink(s), positive out of the array.
    input_currents_A:
        ``(m,)``: current each word line's driver(s) deliver into the array.
    word_voltages_V, bit_voltages_V:
        ``(m, n)``: voltage of the word / bit line at every cross-point.
    cell_currents_A:
        ``(m, n)``: current through each cell, word line to bit line.
    unknowns:
        Number of unknown node voltages in the solved system (0 without wire resistance).
    """

    output_currents_A: np.ndarray
    input_currents_A: np.ndarray
    word_voltages_V: np.ndarray
    bit_voltages_V: np.ndarray
    cell_currents_A: np.ndarray
    unknowns: int


def solve_crossbar(
    conductance_S: np.ndarray,
    inputs_V: np.ndarray,
    *,
    r_word_ohm: float = 0.0,
    r_bit_ohm: float = 0.0,
    drive: Literal["left", "both"] = "left",
    sink: Literal["bottom", "both"] = "bottom",
    bit_bias_V: np.ndarray | None = None,
) -> CrossbarSolution:
    """Solve the linear crossbar described in the module docstring.

    Parameters
    ----------
    conductance_S:
        ``(m, n)`` cell conductances (S), finite and > 0.
    inputs_V:
        ``(m,)`` voltages (V) at the driven end(s) of each word line.
    r_word_ohm, r_bit_ohm:
        Segment resistances (Ω, >= 0).
    drive, sink:
        Driven ends of the word lines (``"left"``/``"both"``) and sunk ends of the bit
        lines (``"bottom"``/``"both"``).
    bit_bias_V:
        ``(n,)`` voltages (V) of the bit-line sinks; default 0 V.

    Raises
    ------
    ParameterError
        naming the argument, for bad shapes, non-finite or non-positive conductances,
        non-finite inputs, negative or non-finite resistances, unknown sides.
    """
    G, V, bias = _check(conductance_S, inputs_V, bit_bias_V, r_word_ohm, r_bit_ohm, drive, sink)
    m, n = G.shape
    word_known = r_word_ohm == 0
    bit_known = r_bit_ohm == 0
    # Unknowns are numbered in a nested-dissection order of the cross-point grid, so the
    # factor of the (symmetric positive definite) matrix fills in little: a 512 × 512 array
    # with wire resistance solves in about 3 s instead of 8 s (SuperLU's MMD ordering) or
    # 25 s (its default COLAMD).
    slots = np.arange(2 * m * n, dtype=np.int64).reshape(m, n, 2)
    unknown_slot = np.zeros((m, n, 2), dtype=bool)
    unknown_slot[:, :, 0] = not word_known
    unknown_slot[:, :, 1] = not bit_known
    order = _nested_dissection(slots[:, :, 0], slots[:, :, 1])
    order = order[unknown_slot.ravel()[order]]
    position = np.full(2 * m * n, -1, dtype=np.int64)
    position[order] = np.arange(order.size, dtype=np.int64)
    word_index = position[slots[:, :, 0]]
    bit_index = position[slots[:, :, 1]]
    unknowns = (0 if word_known else m * n) + (0 if bit_known else m * n)
    word_fixed = np.repeat(V[:, None], n, axis=1)
    bit_fixed = np.repeat(bias[None, :], m, axis=0)

    stamps = _Stamps(unknowns)
    # Cells.
    stamps.add(word_index.ravel(), word_fixed.ravel(), bit_index.ravel(), bit_fixed.ravel(), G.ravel())
    if not word_known:
        g = 1.0 / r_word_ohm
        stamps.add(word_index[:, 0], np.zeros(m), np.full(m, -1), V, np.full(m, g))
        stamps.add(word_index[:, :-1].ravel(), np.zeros(m * (n - 1)), word_index[:, 1:].ravel(),
                   np.zeros(m * (n - 1)), np.full(m * (n - 1), g))
        if drive == "both":
            stamps.add(word_index[:, -1], np.zeros(m), np.full(m, -1), V, np.full(m, g))
    if not bit_known:
        g = 1.0 / r_bit_ohm
        stamps.add(bit_index[-1, :], np.zeros(n), np.full(n, -1), bias, np.full(n, g))
        stamps.add(bit_index[:-1, :].ravel(), np.zeros((m - 1) * n), bit_index[1:, :].ravel(),
                   np.zeros((m - 1) * n), np.full((m - 1) * n, g))
        if sink == "both":
            stamps.add(bit_index[0, :], np.zeros(n), np.full(n, -1), bias, np.full(n, g))

    solution = stamps.solve()
    W = np.where(word_index >= 0, solution[np.maximum(word_index, 0)], word_fixed) if unknowns else word_fixed
    B = np.where(bit_index >= 0, solution[np.maximum(bit_index, 0)], bit_fixed) if unknowns else bit_fixed
    cells = G * (W - B)
    if bit_known:
        outputs = G.T @ V - G.sum(axis=0) * bias if word_known else cells.sum(axis=0)
    else:
        outputs = (B[-1, :] - bias) / r_bit_ohm
        if sink == "both":
            outputs = outputs + (B[0, :] - bias) / r_bit_ohm
    if word_known:
        inputs = cells.sum(axis=1)
    else:
        inputs = (V - W[:, 0]) / r_word_ohm
        if drive == "both":
            inputs = inputs + (V - W[:, -1]) / r_word_ohm
    return CrossbarSolution(output_currents_A=outputs, input_currents_A=inputs, word_voltages_V=W,
                            bit_voltages_V=B, cell_currents_A=cells, unknowns=unknowns)


class _Stamps:
    """Conductance stamps between unknown nodes (index >= 0) or fixed voltages (index −1)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.values: list[np.ndarray] = []
        self.rhs = np.zeros(size)

    def add(self, a: np.ndarray, a_fixed_V: np.ndarray, b: np.ndarray, b_fixed_V: np.ndarray,
            g: np.ndarray) -> None:
        a, b = np.asarray(a), np.asarray(b)
        for this, other, other_fixed in ((a, b, b_fixed_V), (b, a, a_fixed_V)):
            live = this >= 0
            self.rows.append(this[live])
            self.cols.append(this[live])
            self.values.append(g[live])
            both = live & (other >= 0)
            self.rows.append(this[both])
            self.cols.append(other[both])
            self.values.append(-g[both])
            fixed = live & (other < 0)
            np.add.at(self.rhs, this[fixed], g[fixed] * other_fixed[fixed])

    def solve(self) -> np.ndarray:
        if self.size == 0:
            return np.zeros(0)
        import scipy.sparse
        import scipy.sparse.linalg

        matrix = scipy.sparse.csc_matrix(
            (np.concatenate(self.values), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(self.size, self.size),
        )
        # The unknowns are already in a fill-reducing order and the matrix is symmetric
        # positive definite: keep the order and pivot on the diagonal.
        factor = scipy.sparse.linalg.splu(matrix, permc_spec="NATURAL", diag_pivot_thresh=0.0,
                                          options={"SymmetricMode": True})
        return np.asarray(factor.solve(self.rhs))


#: Blocks of at most this many cross-points are not split further.
_LEAF_CROSS_POINTS = 16


def _nested_dissection(word: np.ndarray, bit: np.ndarray) -> np.ndarray:
    """A nested-dissection elimination order of the word/bit unknowns of an (m, n) grid.

    A block is split across its longer side. A cut between columns is the word-line nodes
    of the middle column (word segments are the only edges crossing it); the bit-line nodes
    of that column then form a chain of their own. A cut between rows is the bit-line nodes
    of the middle row, with that row's word-line nodes as the chain. Each block's order:
    both halves, the chain, the separator last.
    """
    parts: list[np.ndarray] = []
    stack: list[tuple[int, int, int, int] | np.ndarray] = [(0, word.shape[0], 0, word.shape[1])]
    # An explicit stack instead of recursion: push in reverse of the wanted order.
    while stack:
        item = stack.pop()
        if isinstance(item, np.ndarray):
            parts.append(item)
            continue
        r0, r1, c0, c1 = item
        if r1 <= r0 or c1 <= c0:
            continue
        if (r1 - r0) * (c1 - c0) <= _LEAF_CROSS_POINTS:
            parts.append(np.stack([word[r0:r1, c0:c1], bit[r0:r1, c0:c1]], axis=-1).ravel())
        elif c1 - c0 >= r1 - r0:
            c = (c0 + c1) // 2
            stack += [word[r0:r1, c], bit[r0:r1, c], (r0, r1, c + 1, c1), (r0, r1, c0, c)]
        else:
            r = (r0 + r1) // 2
            stack += [bit[r, c0:c1], word[r, c0:c1], (r + 1, r1, c0, c1), (r0, r, c0, c1)]
    return np.concatenate(parts)


def _check(conductance_S: object, inputs_V: object, bit_bias_V: object, r_word_ohm: object, r_bit_ohm: object,
           drive: object, sink: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        G = np.asarray(conductance_S, dtype=np.float64)
        V = np.asarray(inputs_V, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError("conductance_S and inputs_V must be arrays of numbers") from None
    if G.ndim != 2 or 0 in G.shape:
        raise ParameterError(f"conductance_S must be a non-empty (m, n) array, got shape {G.shape}")
    bad = ~(np.isfinite(G) & (G > 0))
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        raise ParameterError(f"conductance_S[{i}, {j}]={float(G[i, j])!r} S is not allowed; conductances must be "
                             "finite and > 0 S")
    m, n = G.shape
    if V.shape != (m,):
        raise ParameterError(f"inputs_V has shape {V.shape}; conductance_S has {m} rows, so it must be ({m},)")
    if not np.isfinite(V).all():
        index = int(np.argmax(~np.isfinite(V)))
        raise ParameterError(f"inputs_V[{index}]={float(V[index])!r} is not finite")
    bias = np.zeros(n) if bit_bias_V is None else np.asarray(bit_bias_V, dtype=np.float64)
    if bias.shape != (n,) or not np.isfinite(bias).all():
        raise ParameterError(f"bit_bias_V must be {n} finite voltages (shape ({n},)), got shape {bias.shape}")
    for name, value in (("r_word_ohm", r_word_ohm), ("r_bit_ohm", r_bit_ohm)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not math.isfinite(float(value)) or float(value) < 0:
            raise ParameterError(f"{name}={value!r} is not allowed; use a finite resistance >= 0 Ω")
    if drive not in ("left", "both"):
        raise ParameterError(f"drive={drive!r} is not allowed; use 'left' or 'both'")
    if sink not in ("bottom", "both"):
        raise ParameterError(f"sink={sink!r} is not allowed; use 'bottom' or 'both'")
    return G, V, bias
