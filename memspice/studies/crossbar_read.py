"""Crossbar read: how far are the simulated column currents from the ideal product Gᵀ·V?

A rows × cols array (badcrossbar's topology: word lines driven at the left, bit lines sunk
at the bottom) with wire resistance, read with DC inputs. The simulated output currents are
held against the ideal product (the error a designer pays for IR drop, sneak paths and access
devices) and, for fixed-conductance 0T1R arrays with every line driven, against an
independent scipy nodal solve of the same network (the check that the simulation is right).

Two kinds of read (``scheme``):

* ``parallel`` (the default): every word line at its input, every bit line sunk at 0 V; the
  ideal column currents are Gᵀ·V (a vector-matrix product);
* ``v2``, ``v3``, ``float``: one selected cell (``selected``, default the far corner: row 0,
  the last column) read at ``v_read_V``, its bit line at 0 V, the other lines biased

  ======  =================  =================  =========================================
  scheme  unselected WL      unselected BL      unselected cells see
  ======  =================  =================  =========================================
  v2      V_read/2           V_read/2           0 (half-selected cells V_read/2)
  v3      V_read/3           2·V_read/3         −V_read/3 (half-selected cells V_read/3)
  float   open               open               sneak paths through three cells in series
  ======  =================  =================  =========================================

  and the ideal column current is Σᵢ G_ij·(V_i − V_j) over the driven lines (the selected
  column's holds the half-selected cells' share too; ``selected`` in the summary gives the
  cell's own V_read·G). read-margin is a set of these reads.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from memspice.analysis.crossbar_readers import cell_voltages, output_currents
from memspice.analysis.crossbar_reference import solve_crossbar
from memspice.circuits.cells import make_cells
from memspice.circuits.crossbar import CrossbarConfig, CrossbarNodes, Floating, add_crossbar, bias
from memspice.circuits.crossbar_cells import FixedConductanceCells
from memspice.circuits.patterns import pattern_values
from memspice.config import ConfigBase, ConfigError, setting
from memspice.engine import Waveforms
from memspice.engine.options import RunOptions
from memspice.netlist import PRINTED_VECTORS, Netlist, Op, Tran
from memspice.engine.budget import RunCost, array_cost
from memspice.spicelib.variation import STUCK_CODES, Population, PopulationConfig
from memspice.studies.base import Job, ProgressCallback, Study, register_study
from memspice.studies.report import netlist_files, write_report

if TYPE_CHECKING:  # pandas is imported where a table is built, not with the study
    import pandas as pd

CELL_KINDS: tuple[str, ...] = ("0T1R", "1S1R", "1T1R")
#: Data patterns offered when no conductance matrix is given (:mod:`memspice.circuits.patterns`).
READ_PATTERNS: tuple[str, ...] = ("random", "worst", "checkerboard")
#: ``parallel`` reads every cell at once; the others read one selected cell.
READ_SCHEMES: tuple[str, ...] = ("parallel", "v2", "v3", "float")
#: A 1S1R read is a short transient (the selector's state must settle: ≥ 50 τ of the default selector).
SELECTOR_READ_TIME_S = 1e-6
MAX_LINES = 16384
#: Largest cell conductance accepted (S): a 1 mΩ cell.
G_MAX_S = 1e3
#: Netlist file stem of the read.
NETLIST_STEM = "crossbar_read"


#: Defaults of the read voltage and the 1T1R gate voltage (V); a non-default value where it
#: would be ignored (v_read with inputs, a gate voltage on a cell without a transistor) is refused.
DEFAULT_V_READ_V = 0.2
DEFAULT_GATE_V = 1.2


@dataclass(frozen=True)
class CrossbarReadConfig(ConfigBase):
    """One read of one array (SI units). The cells are ``conductance_S`` when given, else
    ``rows`` × ``cols`` cells of ``g_on_S``/``g_off_S`` under ``pattern``; the inputs are
    ``inputs_V`` when given, else ``v_read_V`` on every word line."""

    rows: int | None = setting(None, low=1, high=MAX_LINES, doc="word lines (inferred from --conductances when given)")
    cols: int | None = setting(None, low=1, high=MAX_LINES, doc="bit lines (inferred from --conductances when given)")
    conductance_S: tuple[tuple[float, ...], ...] | None = setting(
        None, unit="S", low=0.0, low_open=True, high=G_MAX_S, cli="conductances",
        doc="(rows, cols) conductance matrix in S (a .npy or comma-separated file; default: --pattern)",
    )
    g_on_S: float = setting(1e-4, unit="S", low=0.0, low_open=True, high=G_MAX_S, cli="g-on", doc="ON conductance")
    g_off_S: float = setting(1e-6, unit="S", low=0.0, low_open=True, high=G_MAX_S, cli="g-off", doc="OFF conductance")
    pattern: str = setting(
        "random", choices=READ_PATTERNS,
        doc="ON/OFF pattern when no --conductances: random (seeded), worst (all ON), checkerboard",
    )
    seed: int = setting(0, low=0, high=10**9, doc="seed of the random pattern")
    inputs_V: tuple[float, ...] | None = setting(
        None, unit="V", low=-100.0, high=100.0, cli="inputs",
        doc="word-line voltages in V, one per row (comma separated, or a .npy/.csv file; default: --v-read on every row)",
    )
    v_read_V: float = setting(DEFAULT_V_READ_V, unit="V", low=-100.0, high=100.0, cli="v-read",
                              doc="read voltage: on every word line (parallel) or on the selected one")
    r_word_ohm: float = setting(0.0, unit="Ω", low=0.0, high=1e6, cli="r-word", doc="word-line segment resistance")
    r_bit_ohm: float = setting(0.0, unit="Ω", low=0.0, high=1e6, cli="r-bit", doc="bit-line segment resistance")
    cell: str = setting("0T1R", choices=CELL_KINDS, doc="cell type: the conductance alone, selector in series, NMOS access")
    gate_voltage_V: float = setting(DEFAULT_GATE_V, unit="V", low=0.0, low_open=True, high=20.0, cli="gate-voltage",
                                    doc="1T1R gate voltage")
    scheme: str = setting(
        "parallel", choices=READ_SCHEMES,
        doc="parallel: every row at its input, every column sunk at 0 V (Gᵀ·V); v2, v3, float: one selected cell "
            "read, the other lines at V/2, at V/3 and 2V/3, or open",
    )
    selected: tuple[int, int] | None = setting(
        None, low=0, high=MAX_LINES - 1,
        doc="ROW,COL of the cell a v2/v3/float read selects (default: the far corner, row 0 and the last column)",
    )
    selected_state: str | None = setting(
        None, choices=("on", "off"), cli="selected-state",
        doc="set the selected cell to g-on or g-off (v2/v3/float; default: as the pattern or matrix has it)",
    )

    population: PopulationConfig = setting(
        default_factory=PopulationConfig,
        doc="device population: programming noise, stuck and dead cells, drift (drawn from --seed)",
    )

    def __post_init__(self) -> None:
        if self.conductance_S is not None:
            _check_cells(self.conductance_S)
        super().__post_init__()

    def check(self) -> None:
        if self.conductance_S is not None:
            lengths = {len(row) for row in self.conductance_S}
            if not self.conductance_S or len(lengths) != 1 or 0 in lengths:
                raise ConfigError("conductance_S", f"rows of lengths {sorted(lengths)}",
                                  "a (rows, cols) matrix: every row the same length, at least 1")
            for name, size in zip(("rows", "cols"), (len(self.conductance_S), lengths.pop())):
                given = getattr(self, name)
                if size > MAX_LINES:
                    raise ConfigError("conductance_S", f"a matrix with {size} {name}", f"at most {MAX_LINES} {name}")
                if given is not None and given != size:
                    raise ConfigError(name, given, f"{size} (the conductance matrix has {size} {name}) or unset",
                                      reason="does not match the conductance matrix")
        else:
            for name in ("rows", "cols"):
                if getattr(self, name) is None:
                    raise ConfigError(name, None, f"a whole number in [1, {MAX_LINES}] (or give a conductance matrix)",
                                      reason="is required")
        if self.cell == "1S1R":
            self.population.refuse_cycle_variation("crossbar-read (one read)")
            self.selector_cell_values  # draws (and so checks) the selector spreads
        else:
            self.population.refuse_parameter_variation(f"fixed conductances ({self.cell}; --vary spreads the "
                                                       "selector of 1S1R cells)")
        rows, cols = self.shape
        single = self.scheme != "parallel"
        if self.inputs_V is not None:
            if single:
                raise ConfigError("inputs_V", self.inputs_V, "unset: a v2/v3/float read sets every line itself",
                                  reason=f"cannot be given with scheme {self.scheme}")
            if len(self.inputs_V) != rows:
                raise ConfigError("inputs_V", f"{len(self.inputs_V)} values", f"one voltage per row ({rows})")
            if self.v_read_V != DEFAULT_V_READ_V:  # one of the two would be ignored
                raise ConfigError("v_read_V", self.v_read_V, f"its default {DEFAULT_V_READ_V:g} V when inputs are given",
                                  reason="cannot be given with inputs (the inputs set every word line)")
        if self.cell != "1T1R" and self.gate_voltage_V != DEFAULT_GATE_V:
            raise ConfigError("gate_voltage_V", self.gate_voltage_V, f"its default {DEFAULT_GATE_V:g} V for a {self.cell} cell",
                              reason="applies to 1T1R cells only (the access transistor's gate)")
        if not single:
            for name in ("selected", "selected_state"):
                if getattr(self, name) is not None:
                    raise ConfigError(name, getattr(self, name), "unset for scheme parallel (it reads every cell)",
                                      reason="selects a cell, but scheme parallel reads all of them")
        if self.selected is not None and not (self.selected[0] < rows and self.selected[1] < cols):
            raise ConfigError("selected", ",".join(map(str, self.selected)),
                              f"a cell of the {rows} × {cols} array (rows 0..{rows - 1}, cols 0..{cols - 1})")
        if not np.any(self.word_levels_V[np.isfinite(self.word_levels_V)]):
            name = "inputs_V" if self.inputs_V is not None else "v_read_V"
            raise ConfigError(name, 0.0, "at least one word line at a voltage other than 0 V",
                              reason="reads nothing (every input is 0 V)")

    # ----------------------------------------------------------------- what is read

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)``."""
        if self.conductance_S is not None:
            return len(self.conductance_S), len(self.conductance_S[0])
        return int(self.rows), int(self.cols)  # type: ignore[arg-type]

    @property
    def selected_cell(self) -> tuple[int, int] | None:
        """The ``(row, col)`` a v2/v3/float read selects; None for a parallel read."""
        if self.scheme == "parallel":
            return None
        return self.selected if self.selected is not None else (0, self.shape[1] - 1)

    @functools.cached_property
    def selector_cell_values(self) -> dict[str, np.ndarray]:
        """Per-cell selector parameters of a 1S1R array (``population.parameters`` name the
        selector's parameters, e.g. ``v_th``), drawn from ``seed``; empty otherwise."""
        if self.cell != "1S1R" or not self.population.parameters:
            return {}
        from memspice.spicelib.selector import get_selector

        model = get_selector()
        return self.population.draw_parameters(model, model.resolve({}), self.shape, self.seed)

    @functools.cached_property
    def drawn(self) -> Population:
        """The cells as programmed: :attr:`target_conductance_S` through the population (seeded
        by ``seed``), stuck cells at g_on / g_off (the matrix's extremes for a given matrix)."""
        target = self.target_conductance_S
        g_on, g_off = (self.g_on_S, self.g_off_S) if self.conductance_S is None else (target.max(), target.min())
        return self.population.draw(target, self.seed, g_on_S=g_on, g_off_S=g_off)

    @property
    def conductance_matrix_S(self) -> np.ndarray:
        """The ``(rows, cols)`` cell conductances (S) that are read: the targets as programmed."""
        return self.drawn.g_programmed_S

    @functools.cached_property
    def target_conductance_S(self) -> np.ndarray:
        """The ``(rows, cols)`` conductances (S) asked for: the matrix, or the pattern of g_on/g_off."""
        rows, cols = self.shape
        if self.conductance_S is not None:
            g = np.array(self.conductance_S, dtype=float)
        else:
            g = pattern_values(rows, cols, self.pattern, on=self.g_on_S, off=self.g_off_S, seed=self.seed)
        if self.selected_state is not None:
            g[self.selected_cell] = self.g_on_S if self.selected_state == "on" else self.g_off_S
        g.flags.writeable = False
        return g

    @functools.cached_property
    def word_levels_V(self) -> np.ndarray:
        """``(rows,)`` voltage of each word line's driver (V), NaN for an open line."""
        rows, _ = self.shape
        if self.scheme == "parallel":
            return np.array(self.inputs_V, dtype=float) if self.inputs_V is not None else np.full(rows, self.v_read_V)
        unselected = {"v2": self.v_read_V / 2, "v3": self.v_read_V / 3, "float": math.nan}[self.scheme]
        levels = np.full(rows, unselected)
        levels[self.selected_cell[0]] = self.v_read_V  # type: ignore[index]
        return levels

    @functools.cached_property
    def bit_levels_V(self) -> np.ndarray:
        """``(cols,)`` voltage of each bit line's sink (V), NaN for an open line."""
        _, cols = self.shape
        if self.scheme == "parallel":
            return np.zeros(cols)
        unselected = {"v2": self.v_read_V / 2, "v3": 2 * self.v_read_V / 3, "float": math.nan}[self.scheme]
        levels = np.full(cols, unselected)
        levels[self.selected_cell[1]] = 0.0  # type: ignore[index]
        return levels

    @property
    def ideal_currents_A(self) -> np.ndarray:
        """``(cols,)`` column currents (A) of ideal wires and the programmed cells: Σᵢ G_ij·(V_i − V_j)
        over the driven word lines i, 0 for an open bit line; Gᵀ·V for a parallel read."""
        return self._ideal_currents(self.conductance_matrix_S)

    @property
    def target_currents_A(self) -> np.ndarray:
        """``(cols,)`` the same with every cell at its target: what the array was meant to compute."""
        return self._ideal_currents(self.target_conductance_S)

    def _ideal_currents(self, conductance_S: np.ndarray) -> np.ndarray:
        word, bit = self.word_levels_V, self.bit_levels_V
        driven = np.isfinite(word)
        g = conductance_S[driven]
        currents = g.T @ word[driven] - g.sum(axis=0) * np.nan_to_num(bit)
        return np.where(np.isfinite(bit), currents, 0.0)

    @property
    def crossbar(self) -> CrossbarConfig:
        rows, cols = self.shape
        return CrossbarConfig(rows, cols, r_word_ohm=self.r_word_ohm, r_bit_ohm=self.r_bit_ohm)

    @property
    def pattern_name(self) -> str:
        """The pattern as reports name it (``custom`` for a given matrix)."""
        return "custom" if self.conductance_S is not None else self.pattern


def _check_cells(matrix: Any) -> None:
    """The first conductance outside (0, G_MAX_S], named by its row and column (the generic
    check names the field only); anything that is not a matrix of numbers is left to it."""
    try:
        g = np.array(matrix, dtype=float)
    except (TypeError, ValueError):
        return
    if g.ndim != 2:
        return
    bad = np.argwhere(~(np.isfinite(g) & (g > 0) & (g <= G_MAX_S)))
    if bad.size:
        row, col = bad[0]
        raise ConfigError("conductance_S", float(g[row, col]), f"finite conductances in (0, {G_MAX_S:g}] S",
                          reason=f"at row {row}, column {col} is not allowed")


@dataclass(frozen=True)
class ReadJob(Job):
    """A read's simulation, with where the crossbar sits in it and how long building it took."""

    nodes: CrossbarNodes | None = None
    build_time_s: float = 0.0


@dataclass(frozen=True)
class CrossbarReadResult:
    """Simulated column currents, cell voltages, the reference and the time of each phase."""

    config: CrossbarReadConfig
    netlist_name: str
    netlist_text: str
    currents_A: np.ndarray
    cell_voltages_V: np.ndarray
    reference_A: np.ndarray | None
    engine: str
    engine_version: str
    t_generate_s: float
    t_simulate_s: float
    t_parse_s: float
    t_reference_s: float | None
    netlist_files: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def sensed_current_A(self) -> float | None:
        """The selected bit line's current (A) of a v2/v3/float read; None for a parallel read."""
        selected = self.config.selected_cell
        return None if selected is None else float(self.currents_A[selected[1]])

    def errors(self) -> dict[str, float | int]:
        """Errors against the ideal currents, relative to full scale (the largest |ideal| column current)."""
        ideal = self.config.ideal_currents_A
        full_scale = float(np.max(np.abs(ideal)))
        deviation = self.currents_A - ideal
        return {
            "full_scale_A": full_scale,
            "rmse_A": float(np.sqrt(np.mean(deviation**2))),
            "rmse_rel": float(np.sqrt(np.mean(deviation**2)) / full_scale),
            "max_rel_error": float(np.max(np.abs(deviation)) / full_scale),
            "worst_col": int(np.argmax(np.abs(deviation))),
        }

    def error_split(self) -> dict[str, float]:
        """The read error against the targets' ideal currents, split (RMS, relative to the targets'
        full scale): ``programming`` (programmed vs target cells, ideal wires), ``wires_and_cells``
        (simulated vs the programmed cells' ideal currents) and ``total`` (simulated vs targets)."""
        target = self.config.target_currents_A
        scale = max(float(np.max(np.abs(target))), 1e-300)

        def rms(a: np.ndarray) -> float:
            return float(np.sqrt(np.mean(a**2)) / scale)

        return {"programming_rmse_rel": rms(self.config.ideal_currents_A - target),
                "wires_and_cells_rmse_rel": rms(self.currents_A - self.config.ideal_currents_A),
                "total_rmse_rel": rms(self.currents_A - target)}

    def summary(self) -> dict[str, Any]:
        """The JSON-ready summary: the array, the errors, the reference check, engine and times."""
        config = self.config
        rows, cols = config.shape
        g, word = config.conductance_matrix_S, config.word_levels_V
        summary: dict[str, Any] = {
            "rows": rows, "cols": cols, "cell": config.cell, "pattern": config.pattern_name, "scheme": config.scheme,
            "r_word_ohm": config.r_word_ohm, "r_bit_ohm": config.r_bit_ohm,
            "g_min_S": float(g.min()), "g_max_S": float(g.max()),
            "v_in_min_V": float(np.nanmin(word)), "v_in_max_V": float(np.nanmax(word)),
            **self.errors(),
            "seed": config.seed, "population": config.population.to_dict(), "cells": config.drawn.counts(),
            "error_vs_targets": self.error_split(),
            "engine": {"backend": self.engine, "version": self.engine_version},
            "t_generate_s": self.t_generate_s, "t_simulate_s": self.t_simulate_s, "t_parse_s": self.t_parse_s,
            "netlists": [self.netlist_name],
        }
        selected = config.selected_cell
        if selected is not None:
            summary["selected"] = {
                "cell": list(selected), "g_S": float(g[selected]), "i_sensed_A": self.sensed_current_A,
                "i_cell_A": float(g[selected] * config.v_read_V),
            }
        if self.reference_A is not None:
            scale = max(float(np.max(np.abs(self.reference_A))), 1e-300)
            summary["reference"] = {
                "solver": "scipy.sparse nodal solve (memspice.analysis.crossbar_reference)",
                "max_rel_difference_sim_vs_reference": float(np.max(np.abs(self.currents_A - self.reference_A)) / scale),
            }
            summary["t_reference_s"] = self.t_reference_s
        return summary

    def tables(self) -> dict[str, pd.DataFrame]:
        """``currents``: ``col, i_ideal_A, i_sim_A, rel_error[, i_reference_A]`` (rel_error of full scale)."""
        import pandas as pd

        ideal = self.config.ideal_currents_A
        frame = pd.DataFrame(
            {"col": np.arange(ideal.size), "i_ideal_A": ideal, "i_sim_A": self.currents_A,
             "rel_error": (self.currents_A - ideal) / float(np.max(np.abs(ideal)))}
        )
        if self.reference_A is not None:
            frame["i_reference_A"] = self.reference_A
        frame["i_target_A"] = self.config.target_currents_A
        drawn = self.config.drawn
        r, c = np.indices(drawn.g_target_S.shape)
        cells = pd.DataFrame({"row": r.ravel(), "col": c.ravel(), "g_target_S": drawn.g_target_S.ravel(),
                              "g_programmed_S": drawn.g_programmed_S.ravel(),
                              "stuck": np.array(STUCK_CODES)[drawn.stuck.ravel()], "nu": drawn.nu.ravel()})
        return {"currents": frame, "cells": cells}


def build_netlist(config: CrossbarReadConfig) -> tuple[Netlist, CrossbarNodes]:
    """The read bench: the array, its line terminations, ``.op`` (a short ``.tran`` for 1S1R)."""
    rows, cols = config.shape
    selected = config.selected_cell
    what = f"pattern {config.pattern_name}"
    if selected is not None:
        state = f" {config.selected_state.upper()}" if config.selected_state else ""
        what += f", {config.scheme} read of cell {selected[0]},{selected[1]}{state}"
    netlist = Netlist(
        title=(f"memspice crossbar read: {rows}x{cols} {config.cell}, r_word {config.r_word_ohm:g} ohm, "
               f"r_bit {config.r_bit_ohm:g} ohm, {what}")
    )
    storage = FixedConductanceCells(np.array(config.conductance_matrix_S))
    cells = make_cells(config.cell, storage, gate_voltage_V=config.gate_voltage_V,
                       selector_cell_values=config.selector_cell_values)
    if selected is None:
        nodes = add_crossbar(netlist, config.crossbar, cells, inputs_V=config.word_levels_V)
    else:
        def ends(levels: np.ndarray) -> list:
            return [Floating() if math.isnan(level) else bias(float(level)) for level in levels]

        nodes = add_crossbar(netlist, config.crossbar, cells, word_lines=ends(config.word_levels_V),
                             bit_lines=ends(config.bit_levels_V))
    if config.cell == "1S1R":
        netlist.options.update({"method": "gear", "maxord": 1})
        netlist.analysis = Tran(step_s=SELECTOR_READ_TIME_S / 100, stop_s=SELECTOR_READ_TIME_S)
        # `ngspice -b` runs a transient only with something to print: the sink currents.
        sinks = [name for pair in nodes.bit_sources for name in pair if name is not None]
        netlist.print_vectors = [f"i({name})" for name in sinks[:PRINTED_VECTORS]]
    else:
        netlist.analysis = Op()
    # What analyse() reads: the sink currents and both ends of every cell.
    sinks = [name for pair in nodes.bit_sources for name in pair if name is not None]
    netlist.saves = [*(f"v({node})" for grid in (nodes.word_nodes, nodes.bit_nodes) for node in grid.ravel().tolist()),
                     *(f"i({name})" for name in dict.fromkeys(sinks))]
    return netlist, nodes


def plan(config: CrossbarReadConfig) -> list[ReadJob]:
    """One simulation: the read bench."""
    started = time.perf_counter()
    netlist, nodes = build_netlist(config)
    rows, cols = config.shape
    return [ReadJob(NETLIST_STEM, netlist, f"{rows}x{cols} {config.cell} read", nodes=nodes,
                    build_time_s=time.perf_counter() - started)]


def analyse(config: CrossbarReadConfig, jobs: Sequence[Job], outputs: Sequence[Waveforms]) -> CrossbarReadResult:
    """Column currents and cell voltages from the waveforms; for a 0T1R array whose lines are
    all driven, also the scipy solve of the same network."""
    (job,), (waveforms,) = jobs, outputs
    if not isinstance(job, ReadJob) or job.nodes is None:
        raise TypeError("crossbar-read analyses the ReadJob its plan() made")
    t_simulate = waveforms.simulate_time_s if waveforms.simulate_time_s is not None else waveforms.wall_time_s
    t_parse_started = time.perf_counter()
    currents = output_currents(job.nodes, waveforms)
    voltages_V = cell_voltages(job.nodes, waveforms)
    t_parse = (waveforms.parse_time_s or 0.0) + time.perf_counter() - t_parse_started

    reference, t_reference = None, None
    word, bit = config.word_levels_V, config.bit_levels_V
    if config.cell == "0T1R" and np.all(np.isfinite(word)) and np.all(np.isfinite(bit)):
        reference_started = time.perf_counter()
        reference = solve_crossbar(config.conductance_matrix_S, word, r_word_ohm=config.r_word_ohm,
                                   r_bit_ohm=config.r_bit_ohm, bit_bias_V=bit).output_currents_A
        t_reference = time.perf_counter() - reference_started
    suffix = waveforms.netlist_suffix
    return CrossbarReadResult(
        config=config, netlist_name=f"{job.name}{suffix}", netlist_text=waveforms.netlist_text,
        netlist_files=netlist_files(waveforms), currents_A=currents,
        cell_voltages_V=voltages_V, reference_A=reference, engine=waveforms.backend,
        engine_version=waveforms.engine_version, t_generate_s=job.build_time_s, t_simulate_s=t_simulate,
        t_parse_s=t_parse, t_reference_s=t_reference,
    )


def run_crossbar_read(
    config: CrossbarReadConfig, *, options: RunOptions | None = None, progress: ProgressCallback | None = None,
) -> CrossbarReadResult:
    """Build, simulate and read one array (``progress`` after the simulation)."""
    return STUDY.execute(config, options, progress=progress)


def write_crossbar_read_report(result: CrossbarReadResult, out_dir: Path) -> dict[str, Path]:
    """Write ``currents.csv``, ``crossbar_read.png``, the netlist and, last, ``summary.json``."""
    from memspice.analysis.crossbar_plots import plot_crossbar_read

    config = result.config
    rows, cols = config.shape
    selected = config.selected_cell
    read = "read" if selected is None else f"{config.scheme} read of cell {selected[0]},{selected[1]}"
    title = (f"{rows}×{cols} {config.cell} {read}, r_word = {config.r_word_ohm:g} Ω, r_bit = {config.r_bit_ohm:g} Ω, "
             f"pattern {config.pattern_name} ({result.engine})")
    if not config.population.is_ideal:
        title += f"\npopulation: {config.population.describe()}, seed {config.seed}"
    return write_report(
        out_dir,
        texts={result.netlist_name: result.netlist_text},
        files=result.netlist_files,
        tables={f"{name}.csv": frame for name, frame in result.tables().items()},
        figures={"crossbar_read.png": lambda path: plot_crossbar_read(
            result.cell_voltages_V, config.ideal_currents_A, result.currents_A, path, title=title,
            ideal_label="ideal Gᵀ·V" if selected is None else "ideal (0 Ω wires, storage G)",
            **({} if config.population.is_ideal else {
                "target_A": config.target_currents_A,
                "conductances_S": (config.drawn.g_target_S, config.drawn.g_programmed_S)}))},
        summary=result.summary(),
    )


_EPILOG = """\
outputs in DIR:
  currents.csv       col,i_ideal_A,i_sim_A,rel_error[,i_reference_A] (rel_error relative to the largest
                     ideal column current; i_reference_A: the scipy solve of a 0T1R array)
  crossbar_read.png  cell voltages, ideal vs simulated column currents, their error
  summary.json       RMSE, max error, worst column, the selected cell's current (v2/v3/float), engine,
                     t_generate_s, t_simulate_s, t_parse_s
  crossbar_read.cir  the netlist that was run (crossbar_read.sim when VACASK ran it)

examples:
  memspice crossbar-read --rows 64 --cols 64 --pattern random --v-read 0.2 --r-word 1 --r-bit 1 --out out/xb
  memspice crossbar-read --rows 64 --cols 64 --pattern worst --scheme v2 --selected-state off --v-read 0.8 \\
      --r-word 1 --r-bit 1 --cell 1S1R --out out/xb_corner
"""


_TITLE = "read a crossbar with wire resistance: column currents vs the ideal product Gᵀ·V"
_DESCRIPTION = (
    "Build a rows x cols crossbar (word lines driven at the left end, bit lines sunk at the bottom, a wire "
    "segment of r_word / r_bit between neighbouring cross-points: badcrossbar's topology), apply DC inputs, "
    "simulate, and compare the column currents with the ideal product Gᵀ·V. With --scheme v2, v3 or float one "
    "selected cell is read and the other lines are biased at V/2, at V/3 and 2V/3, or left open. Fixed-"
    "conductance 0T1R arrays whose lines are all driven are also solved with scipy as an independent check. "
    "Large arrays run in VACASK (KLU) when it is installed (--engine auto)."
)


def summary_lines(result: CrossbarReadResult) -> list[str]:
    errors = result.errors()
    lines = [
        f"engine {result.engine}: rmse {100 * errors['rmse_rel']:.3g} % of full scale, max error "
        f"{100 * errors['max_rel_error']:.3g} % (column {errors['worst_col']}); generate {result.t_generate_s:.3f} s, "
        f"simulate {result.t_simulate_s:.3f} s, parse {result.t_parse_s:.3f} s"
    ]
    if result.sensed_current_A is not None:
        row, col = result.config.selected_cell  # type: ignore[misc]
        lines.append(f"cell {row},{col}: sensed {result.sensed_current_A:.4g} A, the cell alone "
                     f"{result.config.conductance_matrix_S[row, col] * result.config.v_read_V:.4g} A")
    return lines


def cost(config: CrossbarReadConfig) -> RunCost:
    """One operating point of the array (a short transient for 1S1R cells)."""
    rows, cols = config.shape
    return array_cost(f"a {rows}x{cols} {config.cell} read", rows, cols, cell=config.cell,
                      wires=config.r_word_ohm > 0 or config.r_bit_ohm > 0,
                      time_points=101 if config.cell == "1S1R" else 1)


STUDY = register_study(Study(
    name="crossbar-read", Config=CrossbarReadConfig, title=_TITLE, description=_DESCRIPTION, epilog=_EPILOG,
    plan=plan, analyse=analyse, cost=cost, report=write_crossbar_read_report, summary_lines=summary_lines,
))


__all__ = [
    "CrossbarReadConfig", "CrossbarReadResult", "ReadJob", "STUDY", "analyse", "build_netlist", "plan",
    "run_crossbar_read", "write_crossbar_read_report",
]
