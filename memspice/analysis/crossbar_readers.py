"""Readers of a crossbar's results: currents and voltages of a :class:`CrossbarNodes` out of
its Waveforms (circuits build the array; reading what it did is analysis)."""

from __future__ import annotations

import numpy as np

from memspice.circuits.crossbar import CrossbarNodes
from memspice.engine.waveforms import ColumnNotFoundError, Waveforms


def output_currents(nodes: CrossbarNodes, waveforms: Waveforms, *, point: int | None = -1) -> np.ndarray:
    """Current of each bit line into its sink(s) (A): shape ``(cols,)`` at one ``point``
    (default the last; the only one of an ``.op``), ``(points, cols)`` for ``point=None``.
    Positive when current flows from the array into the sink; 0 for a floating line."""
    return _source_currents(waveforms, nodes.bit_sources, point)


def input_currents(nodes: CrossbarNodes, waveforms: Waveforms, *, point: int | None = -1) -> np.ndarray:
    """Current each word line's driver(s) deliver into the array (A): ``(rows,)``
    (``(points, rows)`` for ``point=None``); ``−i(vwl<i>)`` summed over its sources."""
    return -_source_currents(waveforms, nodes.word_sources, point)


def word_voltages(nodes: CrossbarNodes, waveforms: Waveforms, *, point: int | None = -1) -> np.ndarray:
    """Word-line voltage at every cross-point (V): ``(rows, cols)`` or ``(points, rows, cols)``."""
    return _node_voltages(waveforms, nodes.word_nodes, point)


def bit_voltages(nodes: CrossbarNodes, waveforms: Waveforms, *, point: int | None = -1) -> np.ndarray:
    """Bit-line voltage at every cross-point (V): ``(rows, cols)`` or ``(points, rows, cols)``."""
    return _node_voltages(waveforms, nodes.bit_nodes, point)


def cell_voltages(nodes: CrossbarNodes, waveforms: Waveforms, *, point: int | None = -1) -> np.ndarray:
    """Voltage across every cell, word side minus bit side (V)."""
    return word_voltages(nodes, waveforms, point=point) - bit_voltages(nodes, waveforms, point=point)


def _node_voltages(waveforms: Waveforms, node_grid: np.ndarray, point: int | None) -> np.ndarray:
    return _family(waveforms, np.char.add(np.char.add("v(", node_grid.astype(str)), ")_V"), point)


def _source_currents(waveforms: Waveforms, sources: tuple[tuple[str | None, str | None], ...],
                     point: int | None) -> np.ndarray:
    wanted = sorted({name for pair in sources for name in pair if name is not None})
    values = _family(waveforms, np.array([f"i({name})_A" for name in wanted], dtype=object), point)
    where = {name: k for k, name in enumerate(wanted)}
    total = np.zeros(values.shape[:-1] + (len(sources),))
    for line, pair in enumerate(sources):
        for name in pair:
            if name is not None:
                total[..., line] += values[..., where[name]]
    return total


def _family(waveforms: Waveforms, names: np.ndarray, point: int | None) -> np.ndarray:
    try:
        return waveforms.family(names, point=point)
    except ColumnNotFoundError as error:
        raise ColumnNotFoundError(f"{error} (was it simulated from this crossbar's netlist?)") from None
