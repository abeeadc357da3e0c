"""Read margin of the far-corner cell against array size, 0T1R beside 1S1R.

The worst case for a read (DOMAIN.md §6): every unselected cell in its low-resistance state,
the selected cell at the far corner (row 0, the last column: farthest from the word-line
driver on the left and from the bit-line sink at the bottom). The cell is read twice, ON
(g_on) and OFF (g_off); the sensed current is the selected bit line's sink current, and the
margin is ``(I_on − I_off)/I_on`` (1 for a perfect array, → 0 when sneak currents swamp it).

Biasing of the unselected lines:

* ``v2``: unselected word and bit lines at V_read/2 (half-selected cells see V_read/2,
  unselected cells 0);
* ``v3``: unselected word lines at V_read/3, unselected bit lines at 2·V_read/3 (every
  unselected cell sees ±V_read/3);
* ``float``: unselected lines left open (sneak paths through three cells in series).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal

import numpy as np
import pandas as pd

from memspice.circuits.cells import make_cells
from memspice.circuits.crossbar import GROUND, CrossbarConfig, Floating, add_crossbar, bias
from memspice.circuits.crossbar_cells import FixedConductanceCells
from memspice.engine import run
from memspice.engine.runner import resolve_backend
from memspice.errors import ParameterError
from memspice.experiments.crossbar_read import SELECTOR_READ_TIME_S
from memspice.files import write_csv_atomic, write_json_atomic
from memspice.netlist import Netlist, Op, Tran

BiasScheme = Literal["v2", "v3", "float"]
BIAS_SCHEMES: tuple[str, ...] = ("v2", "v3", "float")
READ_CELLS: tuple[str, ...] = ("0T1R", "1S1R")


@dataclass(frozen=True)
class ReadMarginConfig:
    """The sweep: sizes N (N × N arrays), cell kinds, levels, read voltage, biasing, wires.

    ``v_read_V`` must exceed the selector's threshold for 1S1R (default selector: 0.5 V) while
    the half-selected cells' share stays below it; the default 0.8 V does both for ``v2``/``v3``.
    """

    sizes: tuple[int, ...] = (8, 16, 32, 64)
    cells: tuple[str, ...] = READ_CELLS
    g_on_S: float = 1e-4
    g_off_S: float = 1e-6
    v_read_V: float = 0.8
    scheme: BiasScheme = "v2"
    r_wire_ohm: float = 1.0
    engine: str = "auto"

    def __post_init__(self) -> None:
        if not self.sizes or any(not isinstance(n, int) or not 2 <= n <= 1024 for n in self.sizes):
            raise ParameterError(f"sizes={self.sizes!r}: give array sizes N as integers in [2, 1024]")
        for cell in self.cells:
            if cell not in READ_CELLS:
                raise ParameterError(f"cells contains {cell!r}; allowed: {', '.join(READ_CELLS)}")
        if not self.cells:
            raise ParameterError("cells is empty; give 0T1R and/or 1S1R")
        for name in ("g_on_S", "g_off_S", "v_read_V"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ParameterError(f"{name}={value!r} must be a finite number > 0")
        if self.g_off_S >= self.g_on_S:
            raise ParameterError(f"g_off_S={self.g_off_S:g} S must be below g_on_S={self.g_on_S:g} S")
        if self.scheme not in BIAS_SCHEMES:
            raise ParameterError(f"scheme={self.scheme!r} is not allowed; use one of {', '.join(BIAS_SCHEMES)}")
        if not (math.isfinite(self.r_wire_ohm) and self.r_wire_ohm >= 0):
            raise ParameterError(f"r_wire_ohm={self.r_wire_ohm!r} must be a finite number >= 0 Ω")
        resolve_backend(self.engine, allow_auto=True)


def _terminations(config: ReadMarginConfig, size: int) -> tuple[list, list]:
    """Word-line and bit-line terminations: row 0 and the last column selected."""
    v = config.v_read_V
    unselected_word = {"v2": bias(v / 2), "v3": bias(v / 3), "float": Floating()}[config.scheme]
    unselected_bit = {"v2": bias(v / 2), "v3": bias(2 * v / 3), "float": Floating()}[config.scheme]
    word = [bias(v)] + [unselected_word] * (size - 1)
    bit = [unselected_bit] * (size - 1) + [GROUND]
    return word, bit


def sensed_current(config: ReadMarginConfig, size: int, cell: str, selected_on: bool) -> float:
    """Current (A) into the selected bit line's sink with the far-corner cell ON or OFF."""
    conductance = np.full((size, size), config.g_on_S)
    conductance[0, size - 1] = config.g_on_S if selected_on else config.g_off_S
    netlist = Netlist(title=f"memspice read margin: {size}x{size} {cell}, {config.scheme} bias, selected {'ON' if selected_on else 'OFF'}")
    crossbar = CrossbarConfig(size, size, r_word_ohm=config.r_wire_ohm, r_bit_ohm=config.r_wire_ohm)
    cells = make_cells(cell, FixedConductanceCells(conductance))
    word, bit = _terminations(config, size)
    nodes = add_crossbar(netlist, crossbar, cells, word_lines=word, bit_lines=bit)
    if cell == "1S1R":
        netlist.options.update({"method": "gear", "maxord": 1})
        netlist.analysis = Tran(step_s=SELECTOR_READ_TIME_S / 100, stop_s=SELECTOR_READ_TIME_S)
    else:
        netlist.analysis = Op()
    waveforms = run(netlist, backend=config.engine, timeout_s=3600.0, name="read_margin")
    return float(nodes.output_currents(waveforms)[size - 1])


@dataclass(frozen=True)
class ReadMarginResult:
    """One row per (size, cell): ``size, cell, i_on_A, i_off_A, margin, on_off_ratio, wall_time_s``."""

    config: ReadMarginConfig
    table: pd.DataFrame


def run_read_margin(
    config: ReadMarginConfig, *, progress: Callable[[int, str, float], None] | None = None
) -> ReadMarginResult:
    """Read the far-corner cell ON and OFF for every size and cell kind."""
    rows = []
    for cell in config.cells:
        for size in config.sizes:
            started = time.perf_counter()
            i_on = sensed_current(config, size, cell, True)
            i_off = sensed_current(config, size, cell, False)
            elapsed = time.perf_counter() - started
            rows.append({
                "size": size, "cell": cell, "i_on_A": i_on, "i_off_A": i_off,
                "margin": (i_on - i_off) / i_on, "on_off_ratio": i_on / i_off, "wall_time_s": elapsed,
            })
            if progress is not None:
                progress(size, cell, elapsed)
    return ReadMarginResult(config=config, table=pd.DataFrame(rows))


def write_read_margin_report(result: ReadMarginResult, out_dir: Path) -> dict[str, Path]:
    """Write ``read_margin.csv``, ``read_margin.png`` and, last, ``summary.json``."""
    from memspice.analysis.crossbar_plots import plot_read_margin

    config = result.config
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.json").unlink(missing_ok=True)
    written = {"read_margin.csv": write_csv_atomic(out_dir / "read_margin.csv", result.table)}
    margins = {cell: result.table[result.table.cell == cell].sort_values("size")["margin"].to_list() for cell in config.cells}
    written["read_margin.png"] = plot_read_margin(
        list(config.sizes), margins, out_dir / "read_margin.png",
        title=(f"Far-corner read, worst pattern, {config.scheme} bias, V_read = {config.v_read_V:g} V, "
               f"r_wire = {config.r_wire_ohm:g} Ω"),
    )
    summary = {
        "sizes": list(config.sizes), "cells": list(config.cells), "g_on_S": config.g_on_S, "g_off_S": config.g_off_S,
        "v_read_V": config.v_read_V, "scheme": config.scheme, "r_wire_ohm": config.r_wire_ohm,
        "selected_cell": "row 0, last column (far corner from the word-line driver and the bit-line sink)",
        "margin_definition": "(I_on - I_off) / I_on of the selected bit line's sink current",
        "margins": {cell: dict(zip(map(str, config.sizes), values)) for cell, values in margins.items()},
        "results": result.table.to_dict(orient="records"),
    }
    written["summary.json"] = write_json_atomic(out_dir / "summary.json", summary)
    return written
