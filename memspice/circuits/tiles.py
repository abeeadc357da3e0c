"""A layer's weight matrix partitioned across crossbar tiles, and the netlists that read a tile.

Partitioning (seed 001: large matrices are split across arrays and the partial sums added)
------------------------------------------------------------------------------------------
A layer of ``rows`` inputs and ``outputs`` outputs, each weight a differential pair, needs
``rows × 2·outputs`` cells. A tile holds at most ``tile_rows × tile_columns`` cells
(``tile_columns`` even): the inputs are split into blocks of at most ``tile_rows`` word lines
and the outputs into blocks of at most ``tile_columns / 2`` pairs; each (row block, output
block) is one :class:`Tile`. Inside a tile the G⁺ columns of its outputs come first, then
their G⁻ columns (the vmm study's layout), so output ``j`` of the tile is column ``j`` minus
column ``j + n``. Every tile has its own readout and ADC; the digital partial sums of the row
blocks of one output block are added after the ADCs.

Netlists
--------
* :func:`extraction_netlists`: the ``tile_rows`` DC reads of one tile whose columns are the
  tile's map from word-line voltages to sink currents: read ``i`` drives word line ``i`` at
  ``v_read_V`` and every other word line at 0 V, every bit line ends in a 0 V sink (the
  virtual ground of its readout). A fixed-conductance array with wires is linear, so these
  reads give the map exactly: ``I = M·V`` with ``M[:, i] = I_read_i / v_read_V``. With 1T1R
  cells (:func:`tile_cells`) the tile is nonlinear and these reads only linearise it;
  :func:`read_netlists` then reads any input vectors as they are.
* :func:`bit_serial_stream`: the word-line sources of many input vectors one after the other,
  bit-serial (Yao 2020), ``bits`` cycles per vector, the cycle timing of the integrating readout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memspice.circuits.cells import make_cells
from memspice.circuits.crossbar import CrossbarConfig, Source, add_crossbar
from memspice.circuits.crossbar_cells import CellArray, FixedConductanceCells
from memspice.circuits.encoders import merge_points, pwl_source, trapezoid_points
from memspice.circuits.mapping import bit_planes
from memspice.errors import ParameterError
from memspice.netlist import Netlist, Op


@dataclass(frozen=True)
class Tile:
    """One tile of a layer: inputs ``row_start:row_stop``, outputs ``output_start:output_stop``."""

    layer: int
    row_start: int
    row_stop: int
    output_start: int
    output_stop: int

    @property
    def rows(self) -> int:
        return self.row_stop - self.row_start

    @property
    def outputs(self) -> int:
        return self.output_stop - self.output_start

    @property
    def columns(self) -> int:
        """Physical columns: a G⁺ and a G⁻ column per output."""
        return 2 * self.outputs

    @property
    def name(self) -> str:
        return f"l{self.layer}_r{self.row_start}_o{self.output_start}"

    def conductances(self, g_plus_S: np.ndarray, g_minus_S: np.ndarray) -> np.ndarray:
        """``(rows, 2·outputs)`` conductances of the tile from the layer's ``(rows, outputs)`` pairs."""
        block = (slice(self.row_start, self.row_stop), slice(self.output_start, self.output_stop))
        return np.hstack([g_plus_S[block], g_minus_S[block]])


def partition(rows: int, outputs: int, *, tile_rows: int, tile_columns: int, layer: int = 0) -> list[Tile]:
    """The tiles of a ``rows × outputs`` layer of differential pairs (see the module docstring),
    row blocks inside output blocks, each block as even as the sizes allow."""
    if tile_columns < 2 or tile_columns % 2:
        raise ParameterError(f"tile_columns={tile_columns!r} is not allowed; use an even number >= 2 "
                             "(a G+ and a G- column per output)")
    if tile_rows < 1:
        raise ParameterError(f"tile_rows={tile_rows!r} is not allowed; use an integer >= 1")
    row_edges = _blocks(rows, tile_rows)
    output_edges = _blocks(outputs, tile_columns // 2)
    return [Tile(layer, r0, r1, o0, o1) for o0, o1 in output_edges for r0, r1 in row_edges]


def _blocks(size: int, most: int) -> list[tuple[int, int]]:
    count = -(-size // most)
    edges = np.linspace(0, size, count + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:])]


def tile_cells(conductance_S: np.ndarray, cell: str = "0T1R", *, gate_voltage_V: float = 1.2) -> CellArray:
    """The cells of a tile: fixed conductances (``0T1R``), or each in series with an NMOS access
    transistor whose gate is at ``gate_voltage_V`` (``1T1R``, a nonlinear cell)."""
    return make_cells(cell, FixedConductanceCells(np.asarray(conductance_S, dtype=float)),  # type: ignore[arg-type]
                      gate_voltage_V=gate_voltage_V)


def read_netlists(conductance_S: np.ndarray, inputs_V: np.ndarray, *, r_wire_ohm: float, cell: str = "0T1R",
                  gate_voltage_V: float = 1.2, title: str = "memspice tile read") -> list[Netlist]:
    """One ``.op`` read of the tile ``conductance_S`` ``(rows, cols)`` per row of ``inputs_V``
    ``(reads, rows)`` (word-line voltages, V), every bit line in a 0 V sink, every word and bit
    segment ``r_wire_ohm``. The reads differ only in the word-line source levels, so a VACASK
    batch runs them in one process."""
    rows, cols = conductance_S.shape
    crossbar = CrossbarConfig(rows, cols, r_word_ohm=r_wire_ohm, r_bit_ohm=r_wire_ohm)
    cells = tile_cells(conductance_S, cell, gate_voltage_V=gate_voltage_V)
    netlists = []
    for k, levels in enumerate(np.atleast_2d(np.asarray(inputs_V, dtype=float))):
        netlist = Netlist(title=f"{title}: {rows}x{cols} {cell}, r_wire {r_wire_ohm:g} ohm, read {k}")
        add_crossbar(netlist, crossbar, cells, inputs_V=levels)
        netlist.analysis = Op()
        netlists.append(netlist)
    return netlists


def extraction_netlists(conductance_S: np.ndarray, *, r_wire_ohm: float, v_read_V: float, cell: str = "0T1R",
                        gate_voltage_V: float = 1.2) -> list[Netlist]:
    """The ``rows`` reads of the tile's map (module docstring): read ``i`` drives word line ``i``
    at ``v_read_V``, the others at 0 V. For a nonlinear cell the map is the secant linearisation
    at ``v_read_V`` on one word line."""
    rows = conductance_S.shape[0]
    return read_netlists(conductance_S, v_read_V * np.eye(rows), r_wire_ohm=r_wire_ohm, cell=cell,
                         gate_voltage_V=gate_voltage_V, title="memspice tile extraction")


@dataclass(frozen=True, eq=False)
class BitSerialStream:
    """Word-line sources of ``vectors`` input vectors applied one after the other, ``bits``
    cycles each (cycle ``v·bits + k`` applies bit ``k``, LSB first, of vector ``v``)."""

    sources: tuple[Source, ...]
    planes: np.ndarray  # (vectors, bits, rows) 0/1
    cycle_s: float
    stop_s: float


def bit_serial_stream(codes: np.ndarray, *, bits: int, v_read_V: float, width_s: float, cycle_s: float,
                      start_s: float, edge_s: float) -> BitSerialStream:
    """Bit-serial sources of integer codes ``(vectors, rows)`` in ``0 … 2**bits − 1``: in cycle
    ``c`` word line ``i`` gets a trapezoid of ``v_read_V`` (area exactly ``v_read_V·width_s``)
    rising at ``c·cycle_s + start_s`` when its bit is 1, else 0 V — the pulses of
    :func:`memspice.circuits.encoders.bit_serial_inputs` for every vector in turn."""
    codes = np.atleast_2d(np.asarray(codes))
    planes = np.moveaxis(bit_planes(codes, bits), 0, 1)  # (vectors, bits, rows)
    flat = planes.reshape(-1, codes.shape[1])  # (cycles, rows)
    sources = []
    for row in range(flat.shape[1]):
        points: list[tuple[float, float]] = []
        for cycle in np.flatnonzero(flat[:, row]):
            points += trapezoid_points(v_read_V, cycle * cycle_s + start_s, width_s, edge_s)
        sources.append(pwl_source(merge_points(points)))
    return BitSerialStream(tuple(sources), planes, cycle_s, flat.shape[0] * cycle_s)
