"""Read margin of the far-corner cell against array size, 0T1R beside 1S1R.

The worst case for a read (DOMAIN.md §6): every unselected cell in its low-resistance state,
the selected cell at the far corner (row 0, the last column: farthest from the word-line
driver on the left and from the bit-line sink at the bottom). The cell is read twice, ON
(g_on) and OFF (g_off); the sensed current is the selected bit line's sink current, and the
margin is ``(I_on − I_off)/I_on`` (1 for a perfect array, → 0 when sneak currents swamp it).

Each read is a point of the crossbar-read study (``memspice crossbar-read --pattern worst
--scheme v2 --selected-state off ...``), planned, simulated and analysed by it: the study is
the grid (cell kind × size × selected state) of those points, looped over serially here; a
sweep runner can run the same points in parallel. Biasing of the unselected lines
(``scheme``, as crossbar-read's):

* ``v2``: unselected word and bit lines at V_read/2 (half-selected cells see V_read/2,
  unselected cells 0);
* ``v3``: unselected word lines at V_read/3, unselected bit lines at 2·V_read/3 (every
  unselected cell sees −V_read/3);
* ``float``: unselected lines left open (sneak paths through three cells in series).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from memspice.config import ConfigBase, ConfigError, setting
from memspice.engine import Waveforms
from memspice.engine.options import RunOptions
from memspice.flows.grid import Grid, GridPoint
from memspice.engine.budget import RunCost
from memspice.spicelib.variation import PopulationConfig
from memspice.studies.base import Job, ProgressCallback, Study, get_study, register_study
from memspice.studies.report import run_is_complete, write_report

if TYPE_CHECKING:  # pandas is imported where a table is built, not with the study
    import pandas as pd

READ_SCHEMES: tuple[str, ...] = ("v2", "v3", "float")
READ_CELLS: tuple[str, ...] = ("0T1R", "1S1R")
SELECTED_STATES: tuple[str, ...] = ("on", "off")
#: The grid's axes: cell kind, array size N, state of the selected cell.
AXES: tuple[str, ...] = ("cell", "size", "selected_state")
#: Where the selected cell sits, as the summary says it.
SELECTED_CELL = "row 0, last column (far corner from the word-line driver and the bit-line sink)"


@dataclass(frozen=True)
class ReadMarginConfig(ConfigBase):
    """The sweep: sizes N (N × N arrays), cell kinds, levels, read voltage, biasing, wires.

    ``v_read_V`` must exceed the selector's threshold for 1S1R (default selector: 0.5 V) while
    the half-selected cells' share stays below it; the default 0.8 V does both for ``v2``/``v3``.
    """

    sizes: tuple[int, ...] = setting((8, 16, 32, 64), low=2, high=1024, doc="array sizes N (N x N), comma separated")
    cells: tuple[str, ...] = setting(READ_CELLS, choices=READ_CELLS, doc="cell kinds, comma separated")
    g_on_S: float = setting(1e-4, unit="S", low=0.0, low_open=True, high=1e3, cli="g-on",
                            doc="ON conductance (every unselected cell, and the selected one read ON)")
    g_off_S: float = setting(1e-6, unit="S", low=0.0, low_open=True, high=1e3, cli="g-off",
                             doc="OFF conductance (the selected cell read OFF)")
    v_read_V: float = setting(0.8, unit="V", low=0.0, low_open=True, high=100.0, cli="v-read",
                              doc="read voltage (0.8: above the default selector's 0.5 V threshold, V/2 below it)")
    scheme: str = setting("v2", choices=READ_SCHEMES,
                          doc="unselected lines at V/2 (v2), at V/3 and 2V/3 (v3), or open (float)")
    r_wire_ohm: float = setting(1.0, unit="Ω", low=0.0, high=1e6, cli="r-wire",
                                doc="segment resistance of every word- and bit-line segment")
    population: PopulationConfig = setting(
        default_factory=PopulationConfig,
        doc="device population of every array (the ON and OFF reads of a size share one draw)",
    )
    seed: int = setting(0, low=0, high=10**9, doc="seed of the device population")

    def check(self) -> None:
        for name in ("sizes", "cells"):
            values = getattr(self, name)
            if not values:
                raise ConfigError(name, "", "at least one value", reason="is empty")
            if len(set(values)) != len(values):
                raise ConfigError(name, ",".join(map(str, values)), "distinct values", reason="repeats a value")
        if self.g_off_S >= self.g_on_S:
            raise ConfigError("g_off_S", self.g_off_S, f"below g_on_S = {self.g_on_S:g} S")
        self.grid  # builds (and so checks) the crossbar-read config of every point

    @functools.cached_property
    def grid(self) -> Grid[Any]:
        """Every point's crossbar-read config: cell kinds slowest, then sizes (ascending), then
        the selected cell ON and OFF."""
        points = []
        for cell in self.cells:
            for size in sorted(self.sizes):
                for state in SELECTED_STATES:
                    coords = dict(zip(AXES, (cell, size, state)))
                    points.append(GridPoint(coords, self.point(cell, size, state)))
        return Grid(AXES, tuple(points))

    def point(self, cell: str, size: int, selected_state: str) -> Any:
        """The crossbar-read config of one point: an N × N worst-pattern array, the far corner
        (row 0, the last column) read with the selected cell ``on`` or ``off``."""
        return _reader().Config(
            rows=size, cols=size, pattern="worst", g_on_S=self.g_on_S, g_off_S=self.g_off_S, v_read_V=self.v_read_V,
            r_word_ohm=self.r_wire_ohm, r_bit_ohm=self.r_wire_ohm, cell=cell, scheme=self.scheme,
            selected=(0, size - 1), selected_state=selected_state, population=self.population, seed=self.seed,
        )


def point_stem(coords: Mapping[str, Any]) -> str:
    """File stem of a point's netlist, e.g. ``read_margin_1S1R_64x64_off``."""
    return f"read_margin_{coords['cell']}_{coords['size']}x{coords['size']}_{coords['selected_state']}"


def plan(config: ReadMarginConfig) -> list[Job]:
    """The crossbar-read jobs of every point, in grid order, named after their point."""
    jobs: list[Job] = []
    for point in config.grid:
        (job,) = _reader().plan(point.config)
        coords = point.coords
        label = f"{coords['cell']} {coords['size']}x{coords['size']} {coords['selected_state'].upper()}"
        jobs.append(dataclasses.replace(job, name=point_stem(coords), label=label))
    return jobs


#: Columns of :attr:`ReadMarginResult.table`.
TABLE_COLUMNS = ("size", "cell", "i_on_A", "i_off_A", "margin", "on_off_ratio", "wall_time_s", "engine")


@dataclass(frozen=True)
class ReadMarginResult:
    """``table``: one row per (cell, size): ``size, cell, i_on_A, i_off_A, margin, on_off_ratio,
    wall_time_s, engine``; ``points``: the crossbar-read result of every point, in grid order."""

    config: ReadMarginConfig
    table: pd.DataFrame
    points: tuple[Any, ...]

    @property
    def margins(self) -> dict[str, dict[int, float]]:
        """cell kind -> size -> margin."""
        return {cell: dict(zip(rows["size"], rows["margin"])) for cell, rows in self.table.groupby("cell", sort=False)}

    def summary(self) -> dict[str, Any]:
        config = self.config
        engines = sorted({(p.engine, p.engine_version) for p in self.points})
        results = self.table.drop(columns=["wall_time_s"]).to_dict(orient="records")
        return {
            "sizes": sorted(config.sizes), "cells": list(config.cells), "g_on_S": config.g_on_S,
            "g_off_S": config.g_off_S, "v_read_V": config.v_read_V, "scheme": config.scheme,
            "r_wire_ohm": config.r_wire_ohm, "selected_cell": SELECTED_CELL,
            "seed": config.seed, "population": config.population.to_dict(),
            "margin_definition": "(I_on - I_off) / I_on of the selected bit line's sink current",
            "margins": {cell: {str(size): margin for size, margin in by_size.items()}
                        for cell, by_size in self.margins.items()},
            "results": results,
            "engine": {"backend": ", ".join(e for e, _ in engines), "version": ", ".join(v for _, v in engines)},
            "wall_time_s": {f"{row['cell']} {row['size']}": row["wall_time_s"] for row in self.table.to_dict("records")},
            "netlists": [p.netlist_name for p in self.points],
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"read_margin": self.table}


def analyse(config: ReadMarginConfig, jobs: Sequence[Job], outputs: Sequence[Waveforms]) -> ReadMarginResult:
    """Each point analysed by crossbar-read; the ON and OFF reads of each (cell, size) give its margin."""
    import pandas as pd

    reader = _reader()
    points = []
    reads: dict[tuple[str, int], dict[str, Any]] = {}
    for point, job, waveforms in zip(config.grid, jobs, outputs):
        result = reader.analyse(point.config, [job], [waveforms])
        points.append(result)
        read = reads.setdefault((point.coords["cell"], point.coords["size"]), {"wall_time_s": 0.0, "engines": set()})
        read[point.coords["selected_state"]] = result.sensed_current_A
        read["wall_time_s"] += waveforms.wall_time_s
        read["engines"].add(result.engine)
    rows = []
    for (cell, size), read in reads.items():
        if not all(state in read for state in SELECTED_STATES):  # an interrupted run read only one
            continue
        i_on, i_off = read["on"], read["off"]
        rows.append({
            "size": size, "cell": cell, "i_on_A": i_on, "i_off_A": i_off, "margin": (i_on - i_off) / i_on,
            "on_off_ratio": i_on / i_off, "wall_time_s": read["wall_time_s"], "engine": ", ".join(sorted(read["engines"])),
        })
    return ReadMarginResult(config=config, table=pd.DataFrame(rows, columns=list(TABLE_COLUMNS)), points=tuple(points))


def run_read_margin(
    config: ReadMarginConfig, *, options: RunOptions | None = None, progress: ProgressCallback | None = None,
) -> ReadMarginResult:
    """Read the far-corner cell ON and OFF for every size and cell kind (``progress`` after each read)."""
    return STUDY.execute(config, options, progress=progress)


def write_read_margin_report(result: ReadMarginResult, out_dir: Path) -> dict[str, Path]:
    """Write ``read_margin.csv``, ``read_margin.png``, the netlist of every point and, last, ``summary.json``."""
    from memspice.analysis.crossbar_plots import plot_read_margin

    config = result.config
    sizes = sorted(config.sizes)
    margins = {cell: [by_size.get(size) for size in sizes] for cell, by_size in result.margins.items()}
    title = (f"Far-corner read, worst pattern, {config.scheme} bias, V_read = {config.v_read_V:g} V, "
             f"r_wire = {config.r_wire_ohm:g} Ω")
    return write_report(
        out_dir,
        texts={p.netlist_name: p.netlist_text for p in result.points},
        files={name: content for p in result.points for name, content in p.netlist_files.items()},
        tables={f"{name}.csv": frame for name, frame in result.tables().items()},
        # An interrupted run's curves would have holes: no figure, the table and summary say what ran.
        figures={"read_margin.png": lambda path: plot_read_margin(sizes, margins, path, title=title)}
        if run_is_complete() else {},
        summary=result.summary(),
    )


def _reader() -> Study:
    # The crossbar-read study from the registry, as a sweep runner would find it.
    return get_study("crossbar-read")


_EPILOG = """\
outputs in DIR:
  read_margin.csv    size,cell,i_on_A,i_off_A,margin,on_off_ratio,wall_time_s,engine
  read_margin.png    margin (I_on - I_off)/I_on against N, one line per cell kind
  summary.json       margins per cell kind and size, every reading, engine
  read_margin_*.cir  the netlist of every read (CELL_NxN_on/off; .sim when VACASK ran it)

example:
  memspice read-margin --sizes 8,16,32,64 --cells 0T1R,1S1R --scheme v2 --out out/margin
"""


_TITLE = "read margin of the far-corner cell vs array size, worst data pattern, 0T1R beside 1S1R"
_DESCRIPTION = (
    "For each size N, an N x N array with every unselected cell ON (the worst pattern), the selected cell at "
    "the far corner (row 0, last column) read ON and OFF; unselected lines biased at V/2 (v2), V/3 and 2V/3 "
    "(v3) or left floating (float). Reports (I_on - I_off)/I_on of the selected bit line's current. Every "
    "read is a crossbar-read point (--pattern worst --scheme ... --selected-state on/off)."
)


def summary_lines(result: ReadMarginResult) -> list[str]:
    return result.table[["size", "cell", "i_on_A", "i_off_A", "margin"]].to_string(index=False).splitlines()


def cost(config: ReadMarginConfig) -> RunCost:
    """The largest array's read (two reads per size and cell kind)."""
    largest = max(config.grid, key=lambda point: (point.coords["size"], point.coords["cell"] != "0T1R"))
    return dataclasses.replace(_reader().cost(largest.config), simulations=len(config.grid))


STUDY = register_study(Study(
    name="read-margin", Config=ReadMarginConfig, title=_TITLE, description=_DESCRIPTION, epilog=_EPILOG,
    plan=plan, analyse=analyse, keeps_partial=True, parallel=True, cost=cost,
    report=write_read_margin_report, summary_lines=summary_lines,
))
