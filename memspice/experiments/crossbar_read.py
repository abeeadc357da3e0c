"""Crossbar read: how far are the simulated column currents from the ideal product Gᵀ·V?

A rows × cols array (badcrossbar's topology: word lines driven at the left, bit lines sunk
at the bottom into 0 V) with wire resistance, read with DC inputs. The simulated output
currents are held against the ideal product Gᵀ·V (the error a designer pays for IR drop,
sneak paths and access devices) and, for fixed-conductance 0T1R arrays, against an
independent scipy nodal solve of the same network (the check that the simulation is right).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from memspice.analysis.crossbar_reference import solve_crossbar
from memspice.circuits.cells import make_cells
from memspice.circuits.crossbar import CrossbarConfig, CrossbarNodes, add_crossbar
from memspice.circuits.crossbar_cells import FixedConductanceCells
from memspice.engine import Waveforms, run
from memspice.engine.runner import AUTO, VACASK, choose_backend, resolve_backend
from memspice.errors import ParameterError
from memspice.files import write_csv_atomic, write_json_atomic, write_text_atomic
from memspice.circuits.patterns import pattern_values
from memspice.netlist import Netlist, Op, Tran

CellKind = Literal["0T1R", "1S1R", "1T1R"]
CELL_KINDS: tuple[str, ...] = ("0T1R", "1S1R", "1T1R")
PATTERNS: tuple[str, ...] = ("random", "worst", "checkerboard")
#: A 1S1R read is a short transient (the selector's state must settle: ≥ 50 τ of the default selector).
SELECTOR_READ_TIME_S = 1e-6


def conductance_pattern(rows: int, cols: int, *, g_on_S: float, g_off_S: float, pattern: str, seed: int = 0) -> np.ndarray:
    """A ``(rows, cols)`` conductance matrix (S) of ON/OFF cells under ``pattern``
    (:mod:`memspice.circuits.patterns`; ``all-off`` is not offered here)."""
    if pattern not in PATTERNS:
        raise ParameterError(f"pattern={pattern!r} is not allowed; use one of {', '.join(PATTERNS)}")
    return pattern_values(rows, cols, pattern, on=g_on_S, off=g_off_S, seed=seed)


@dataclass(frozen=True)
class CrossbarReadConfig:
    """One read of one array. SI units; validated on construction, before any simulator starts.

    Attributes
    ----------
    conductance_S: target conductance of every cell, shape ``(rows, cols)``, all > 0.
    inputs_V: word-line input voltages, shape ``(rows,)``.
    r_word_ohm, r_bit_ohm: wire resistance of every word-/bit-line segment (Ω, ≥ 0).
    cell: ``0T1R`` (the conductance alone), ``1S1R`` (threshold selector in series: the read
        voltage must exceed its threshold), ``1T1R`` (NMOS access transistor, gate at
        ``gate_voltage_V``).
    engine: ``auto`` (VACASK for large arrays when installed, else ngspice), ``shared``,
        ``subprocess`` or ``vacask``.
    """

    conductance_S: np.ndarray
    inputs_V: np.ndarray
    r_word_ohm: float = 0.0
    r_bit_ohm: float = 0.0
    cell: CellKind = "0T1R"
    gate_voltage_V: float = 1.2
    engine: str = AUTO
    pattern: str = "custom"
    timeout_s: float = 3600.0
    crossbar: CrossbarConfig = field(init=False, repr=False)

    def __post_init__(self) -> None:
        g = np.asarray(self.conductance_S, dtype=float)
        if g.ndim != 2 or 0 in g.shape:
            raise ParameterError(f"conductance_S must be a (rows, cols) matrix; got shape {g.shape}")
        if not np.all(np.isfinite(g)) or np.any(g <= 0):
            bad = np.argwhere(~(np.isfinite(g) & (g > 0)))[0]
            raise ParameterError(
                f"conductance_S[{bad[0]}, {bad[1]}] = {float(g[tuple(bad)])!r} S: every conductance must be finite and > 0"
            )
        v = np.asarray(self.inputs_V, dtype=float)
        if v.shape != (g.shape[0],):
            raise ParameterError(f"inputs_V must have shape ({g.shape[0]},) (one per row); got {v.shape}")
        if not np.all(np.isfinite(v)):
            raise ParameterError(f"inputs_V[{int(np.flatnonzero(~np.isfinite(v))[0])}] is not finite")
        if self.cell not in CELL_KINDS:
            raise ParameterError(f"cell={self.cell!r} is not allowed; use one of {', '.join(CELL_KINDS)}")
        if not (math.isfinite(self.gate_voltage_V) and self.gate_voltage_V > 0):
            raise ParameterError(f"gate_voltage_V={self.gate_voltage_V!r} must be a finite voltage > 0 V")
        resolve_backend(self.engine, allow_auto=True)
        object.__setattr__(self, "conductance_S", g)
        object.__setattr__(self, "inputs_V", v)
        object.__setattr__(
            self, "crossbar", CrossbarConfig(g.shape[0], g.shape[1], r_word_ohm=self.r_word_ohm, r_bit_ohm=self.r_bit_ohm)
        )

    @property
    def ideal_currents_A(self) -> np.ndarray:
        """Gᵀ·V: the column currents of an ideal array (A), shape ``(cols,)``."""
        return self.conductance_S.T @ self.inputs_V


@dataclass(frozen=True)
class CrossbarReadResult:
    """Simulated column currents, cell voltages, the reference and the time of each phase."""

    config: CrossbarReadConfig
    netlist_text: str
    currents_A: np.ndarray
    cell_voltages_V: np.ndarray
    reference_A: np.ndarray | None
    backend: str
    t_generate_s: float
    t_simulate_s: float
    t_parse_s: float
    t_reference_s: float | None

    def errors(self) -> dict[str, float | int]:
        """Errors of the simulation against Gᵀ·V, relative to full scale (the largest |ideal| column current)."""
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


def build_netlist(config: CrossbarReadConfig) -> tuple[Netlist, CrossbarNodes]:
    """The read bench: the array, DC inputs, 0 V sinks, ``.op`` (a short ``.tran`` for 1S1R)."""
    rows, cols = config.conductance_S.shape
    netlist = Netlist(
        title=(
            f"memspice crossbar read: {rows}x{cols} {config.cell}, r_word {config.r_word_ohm:g} ohm, "
            f"r_bit {config.r_bit_ohm:g} ohm, pattern {config.pattern}"
        )
    )
    storage = FixedConductanceCells(config.conductance_S)
    cells = make_cells(config.cell, storage, gate_voltage_V=config.gate_voltage_V)
    nodes = add_crossbar(netlist, config.crossbar, cells, inputs_V=config.inputs_V)
    if config.cell == "1S1R":
        netlist.options.update({"method": "gear", "maxord": 1})
        netlist.analysis = Tran(step_s=SELECTOR_READ_TIME_S / 100, stop_s=SELECTOR_READ_TIME_S)
    else:
        netlist.analysis = Op()
    return netlist, nodes


def run_crossbar_read(config: CrossbarReadConfig) -> CrossbarReadResult:
    """Build, simulate and read one array; for 0T1R also solve the reference network with scipy."""
    started = time.perf_counter()
    netlist, nodes = build_netlist(config)
    backend = resolve_backend(config.engine, allow_auto=True)
    text: str | None = None
    if backend == AUTO:
        backend, text = choose_backend(netlist)
    if text is None:
        text = netlist.render_vacask() if backend == VACASK else netlist.render()
    t_generate = time.perf_counter() - started
    # Plain text is all a fixed-conductance array needs; cells with Verilog-A twins need the Netlist.
    waveforms: Waveforms = run(
        text if not netlist.osdi_models else netlist, backend=backend, timeout_s=config.timeout_s, name="crossbar_read"
    )
    t_simulate = waveforms.simulate_time_s if waveforms.simulate_time_s is not None else waveforms.wall_time_s
    t_parse_started = time.perf_counter()
    currents = nodes.output_currents(waveforms)
    cell_voltages = nodes.cell_voltages(waveforms)
    t_parse = (waveforms.parse_time_s or 0.0) + time.perf_counter() - t_parse_started

    reference, t_reference = None, None
    if config.cell == "0T1R":
        reference_started = time.perf_counter()
        reference = solve_crossbar(
            config.conductance_S, config.inputs_V, r_word_ohm=config.r_word_ohm, r_bit_ohm=config.r_bit_ohm
        ).output_currents_A
        t_reference = time.perf_counter() - reference_started
    return CrossbarReadResult(
        config=config, netlist_text=text, currents_A=currents, cell_voltages_V=cell_voltages, reference_A=reference,
        backend=waveforms.backend, t_generate_s=t_generate, t_simulate_s=t_simulate, t_parse_s=t_parse,
        t_reference_s=t_reference,
    )


def write_crossbar_read_report(result: CrossbarReadResult, out_dir: Path) -> dict[str, Path]:
    """Write ``currents.csv``, ``crossbar_read.png``, the netlist and, last, ``summary.json``."""
    from memspice.analysis.crossbar_plots import plot_crossbar_read

    config = result.config
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").unlink(missing_ok=True)
    ideal = config.ideal_currents_A
    full_scale = float(np.max(np.abs(ideal)))
    frame = pd.DataFrame(
        {"col": np.arange(ideal.size), "i_ideal_A": ideal, "i_sim_A": result.currents_A,
         "rel_error": (result.currents_A - ideal) / full_scale}
    )
    if result.reference_A is not None:
        frame["i_reference_A"] = result.reference_A
    written = {"currents.csv": write_csv_atomic(out_dir / "currents.csv", frame)}
    suffix = ".sim" if result.backend == VACASK else ".cir"
    written[f"crossbar_read{suffix}"] = write_text_atomic(out_dir / f"crossbar_read{suffix}", result.netlist_text)
    rows, cols = config.conductance_S.shape
    written["crossbar_read.png"] = plot_crossbar_read(
        result.cell_voltages_V, ideal, result.currents_A, out_dir / "crossbar_read.png",
        title=(f"{rows}×{cols} {config.cell} read, r_word = {config.r_word_ohm:g} Ω, r_bit = {config.r_bit_ohm:g} Ω, "
               f"pattern {config.pattern} ({result.backend})"),
    )
    summary: dict[str, object] = {
        "rows": rows, "cols": cols, "cell": config.cell, "pattern": config.pattern,
        "r_word_ohm": config.r_word_ohm, "r_bit_ohm": config.r_bit_ohm,
        "g_min_S": float(config.conductance_S.min()), "g_max_S": float(config.conductance_S.max()),
        "v_in_min_V": float(config.inputs_V.min()), "v_in_max_V": float(config.inputs_V.max()),
        **result.errors(),
        "engine": result.backend, "engine_requested": config.engine,
        "t_generate_s": result.t_generate_s, "t_simulate_s": result.t_simulate_s, "t_parse_s": result.t_parse_s,
    }
    if result.reference_A is not None:
        scale = max(float(np.max(np.abs(result.reference_A))), 1e-300)
        summary["reference"] = {
            "solver": "scipy.sparse nodal solve (memspice.analysis.crossbar_reference)",
            "max_rel_difference_sim_vs_reference": float(np.max(np.abs(result.currents_A - result.reference_A)) / scale),
            "t_reference_s": result.t_reference_s,
        }
    written["summary.json"] = write_json_atomic(out_dir / "summary.json", summary)
    return written
