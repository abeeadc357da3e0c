"""SPICE reads of programmed crossbar tiles: the extracted matrix, and the full readout chain.

* :func:`extract_tile_matrix`: the ``rows`` DC reads of :func:`memspice.circuits.tiles.extraction_netlists`
  as one batch (:func:`memspice.engine.runner.run_many`: one VACASK process for all reads,
  ngspice one read after the other), their sink currents divided by ``v_read_V``: the tile's
  map ``M`` ``(columns, rows)`` (A/V) from word-line voltages to sink currents, exact for a
  linear (fixed-conductance) tile with wires.
* :func:`transient_tile_chain`: the whole readout chain of one tile in one ngspice transient
  for many input vectors one after the other: bit-serial word-line pulses, the crossbar with
  wires, a resistive TIA on every G⁺ and G⁻ column (ideal op-amps, the bit lines at their
  virtual grounds), the difference stages; sampled at the end of every pulse's flat top. Its ADC codes, currents
  and energy check and complement the extracted-matrix model (:mod:`memspice.analysis.chip`).
  The op-amps are ngspice B-sources, so this always runs in ngspice.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from memspice.analysis.energy import group_energies, source_energies
from memspice.analysis.readout import sample_readout
from memspice.circuits.crossbar import CrossbarConfig, External, add_crossbar
from memspice.circuits.readout import ReadoutNodes, ResistiveTia, add_differential, bit_line_ends
from memspice.circuits.tiles import bit_serial_stream, read_netlists, tile_cells
from memspice.engine.options import RunOptions
from memspice.engine.runner import NGSPICE_BACKENDS
from memspice.netlist import PRINTED_VECTORS, Netlist, Tran


@dataclass(frozen=True, eq=False)
class ExtractedTile:
    """``matrix_A_per_V`` ``(columns, rows)``; the engine that ran and the batch's wall time (s)."""

    matrix_A_per_V: np.ndarray
    engine: str
    engine_version: str
    wall_time_s: float
    netlist_text: str


def extract_tile_matrix(conductance_S: np.ndarray, *, r_wire_ohm: float, v_read_V: float, cell: str = "0T1R",
                        gate_voltage_V: float = 1.2, options: RunOptions | None = None,
                        name: str = "tile") -> ExtractedTile:
    """The map ``M`` of the tile ``conductance_S`` ``(rows, columns)`` from one batch of ``rows``
    DC reads (see the module docstring; for 1T1R cells a linearisation)."""
    rows = conductance_S.shape[0]
    currents, read = read_tile(conductance_S, v_read_V * np.eye(rows), r_wire_ohm=r_wire_ohm, cell=cell,
                               gate_voltage_V=gate_voltage_V, options=options, name=name)
    return ExtractedTile(currents.T / v_read_V, read.engine, read.engine_version, read.wall_time_s, read.netlist_text)


def read_tile(conductance_S: np.ndarray, inputs_V: np.ndarray, *, r_wire_ohm: float, cell: str = "0T1R",
              gate_voltage_V: float = 1.2, options: RunOptions | None = None,
              name: str = "tile") -> tuple[np.ndarray, ExtractedTile]:
    """Sink currents ``(reads, columns)`` (A) of the tile for every row of ``inputs_V`` ``(reads, rows)``
    (V), all reads in one batch (one VACASK process); and the batch's engine, time and first netlist."""
    from memspice.engine.runner import run_many

    options = options or RunOptions()
    netlists = read_netlists(conductance_S, inputs_V, r_wire_ohm=r_wire_ohm, cell=cell, gate_voltage_V=gate_voltage_V)
    sinks = [f"i(vbb{j})" for j in range(conductance_S.shape[1])]
    for netlist in netlists:
        netlist.saves = list(sinks)  # only the sink currents: the raw files stay small
    started = time.perf_counter()
    outputs = run_many(netlists, backend=options.engine, timeout_s=options.timeout_s, name=name)
    wall = time.perf_counter() - started
    columns = [f"{sink}_A" for sink in sinks]
    currents = np.array([w.columns_array(columns)[-1] for w in outputs])  # an .op has one point
    return currents, ExtractedTile(np.empty(0), outputs[0].backend, outputs[0].engine_version, wall,
                                   outputs[0].netlist_text)


@dataclass(frozen=True)
class ChainTiming:
    """Cycle timing of the bit-serial read with resistive TIAs (s): each cycle is a pulse of
    flat top ``width_s`` rising one edge into the cycle, its fall, and one edge of rest; the
    TIAs are sampled at the end of the flat top (vmm's ``tia`` readout timing)."""

    width_s: float
    edge_s: float

    @property
    def cycle_s(self) -> float:
        return self.width_s + 3 * self.edge_s

    @property
    def pulse_start_s(self) -> float:
        return self.edge_s

    def sample_s(self, cycle: int | np.ndarray) -> np.ndarray:
        """End of the flat top of cycle ``cycle`` (s)."""
        return np.asarray(cycle) * self.cycle_s + self.edge_s + self.width_s


@dataclass(frozen=True, eq=False)
class ChainRun:
    """One tile's transient over ``vectors`` input vectors: at the end of every flat top
    (``(vectors, bits, outputs)``) the difference-stage output (V) and each side's column
    current ``−V_TIA/R_f`` (A); the energy per group over the whole run (J), the netlist
    text, the wall time (s) and the number of time points."""

    difference_V: np.ndarray
    plus_current_A: np.ndarray
    minus_current_A: np.ndarray
    energy_J: dict[str, float]
    netlist_text: str
    wall_time_s: float
    engine_version: str
    time_points: int


def chain_netlist(conductance_S: np.ndarray, codes: np.ndarray, *, r_wire_ohm: float, v_read_V: float,
                  feedback_ohm: float, input_bits: int, timing: ChainTiming, cell: str = "0T1R",
                  gate_voltage_V: float = 1.2, title: str = "memspice tile chain") -> tuple[Netlist, ReadoutNodes, np.ndarray]:
    """The transient of :func:`transient_tile_chain`: netlist, readout nodes, the ``(cycles,)``
    sampling instants (s)."""
    rows, cols = conductance_S.shape
    n = cols // 2
    stream = bit_serial_stream(codes, bits=input_bits, v_read_V=v_read_V, width_s=timing.width_s,
                               cycle_s=timing.cycle_s, start_s=timing.pulse_start_s, edge_s=timing.edge_s)
    netlist = Netlist(title=f"{title}: {rows}x{cols}, r_wire {r_wire_ohm:g} ohm, {len(codes)} bit-serial vectors")
    crossbar = CrossbarConfig(rows, cols, r_word_ohm=r_wire_ohm, r_bit_ohm=r_wire_ohm)
    nodes = add_crossbar(netlist, crossbar, tile_cells(conductance_S, cell, gate_voltage_V=gate_voltage_V),
                         word_lines=list(stream.sources), bit_lines=[External()] * cols)
    ends = bit_line_ends(nodes)
    readout = add_differential(netlist, ends[:n], ends[n:], ResistiveTia(feedback_ohm=feedback_ohm))
    cycles = stream.planes.shape[0] * stream.planes.shape[1]
    samples = timing.sample_s(np.arange(cycles))
    # A resistive network with ideal amplifiers has no dynamics: every time point is the DC
    # solution of the inputs at that instant, so the steps need only hit the pulses' corners
    # (breakpoints) and the flat tops are exact whatever the step.
    netlist.analysis = Tran(step_s=timing.edge_s, stop_s=stream.stop_s, max_step_s=timing.cycle_s)
    netlist.print_vectors = [f"v({node})" for node in readout.outputs[:PRINTED_VECTORS]]
    return netlist, readout, samples


def transient_tile_chain(conductance_S: np.ndarray, codes: np.ndarray, *, r_wire_ohm: float, v_read_V: float,
                         feedback_ohm: float, input_bits: int, timing: ChainTiming, cell: str = "0T1R",
                         gate_voltage_V: float = 1.2, options: RunOptions | None = None,
                         name: str = "tile_chain") -> ChainRun:
    """Simulate the readout chain of the tile ``conductance_S`` ``(rows, 2n)`` for the integer
    input ``codes`` ``(vectors, rows)`` (see the module docstring), in ngspice."""
    from memspice.engine import run

    options = options or RunOptions()
    codes = np.atleast_2d(np.asarray(codes))
    netlist, readout, samples = chain_netlist(conductance_S, codes, r_wire_ohm=r_wire_ohm, v_read_V=v_read_V,
                                              feedback_ohm=feedback_ohm, input_bits=input_bits, timing=timing,
                                              cell=cell, gate_voltage_V=gate_voltage_V)
    backend = options.engine if options.engine in NGSPICE_BACKENDS else "shared"
    started = time.perf_counter()
    waveforms = run(netlist, backend=backend, timeout_s=options.timeout_s, name=name)
    wall = time.perf_counter() - started
    n = conductance_S.shape[1] // 2
    shape = (len(codes), input_bits, n)
    difference = sample_readout(waveforms, readout, samples).reshape(shape)
    time_s = waveforms.column("time_s")

    def side(tag: str) -> np.ndarray:
        values = np.column_stack([np.interp(samples, time_s, waveforms.column(f"v(rd{tag}out{j})_V"))
                                  for j in range(n)])
        return (-values / feedback_ohm).reshape(shape)  # V_TIA = −R_f·I

    energies = group_energies(source_energies(waveforms, netlist))
    return ChainRun(difference, side("p"), side("n"), energies, waveforms.netlist_text, wall,
                    waveforms.engine_version, len(time_s))
