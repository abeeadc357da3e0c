"""Run a line schedule on a memristor array, starting from saved device states.

This is the step every multi-pulse program is made of (write-verify, row/column-parallel
updates, coincidence writes): the array of catalog memristors starts from ``states0`` (the
transient is ``uic``, so the states are exactly those numbers), the lines follow a
:class:`~memspice.circuits.line_schedule.Schedule`, and the result holds the final states —
the saved states the next step starts from — plus what was read on the way: bit-line
currents at the middle of each phase, cell voltages over time, and the energy the line
drivers delivered.

How the runs are simulated (engine, time limit) is a
:class:`~memspice.engine.options.RunOptions` passed to :func:`run_schedule`, not part of the
bench; a loop of runs pins the engine after its first run (:func:`pin_engine`) so that every
step of one program runs in the same simulator.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from memspice.analysis.crossbar_readers import cell_voltages, output_currents
from memspice.circuits.cells import TransistorCells, state_nodes
from memspice.circuits.crossbar import CrossbarConfig, CrossbarNodes, add_crossbar
from memspice.circuits.crossbar_cells import CellSite, MemristorCells
from memspice.circuits.line_schedule import Schedule
from memspice.engine import Waveforms
from memspice.engine.options import RunOptions
from memspice.engine.runner import AUTO
from memspice.errors import ParameterError
from memspice.netlist import PRINTED_VECTORS, Netlist, Tran, VoltageSource
from memspice.spicelib.nmos import AccessTransistor
from memspice.validation import finite_number, positive_int


def device_params(model: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Every parameter of the catalog memristor ``model`` for a pulse program: the preset of
    :func:`memspice.spicelib.presets.default_params` (the write device for VTEAM) updated by
    ``overrides`` (text such as ``"16k"`` parsed with SPICE suffixes), range-checked.
    ParameterError for an unknown model or parameter."""
    from memspice.spicelib import get_model
    from memspice.spicelib.presets import default_params

    catalog = get_model(model)
    return dict(catalog.resolve({**default_params(model), **catalog.parse_overrides(dict(overrides or {}))}))


#: The cells an :class:`ArrayBench` can have: a bare memristor, or one behind an access transistor.
GATED_CELLS = ("0T1R", "1T1R")


@dataclass(frozen=True)
class ArrayBench:
    """The array a program runs on: ``rows × cols`` catalog memristors (``model`` with
    parameter overrides ``params``; after construction every parameter, resolved), every
    word/bit segment ``r_wire_ohm`` (Ω); ``cell_params`` are parameters that differ per cell
    (name -> ``(rows, cols)``, a device population). ``cell="1T1R"`` puts an access transistor
    (``transistor``) between each memristor and its bit line, its gate on the row's gate line
    ``gl<i>``, which the schedule drives (:attr:`Phase.gate_levels_V`)."""

    rows: int = 4
    cols: int = 4
    model: str = "vteam"
    params: Mapping[str, Any] = field(default_factory=dict)
    r_wire_ohm: float = 0.0
    cell_params: Mapping[str, np.ndarray] = field(default_factory=dict)
    cell: str = "0T1R"
    transistor: AccessTransistor = field(default_factory=AccessTransistor)

    def __post_init__(self) -> None:
        from memspice.spicelib import get_model

        if self.cell not in GATED_CELLS:
            raise ParameterError(f"cell={self.cell!r} is not allowed; use one of {', '.join(GATED_CELLS)}")

        for name in ("rows", "cols"):
            positive_int(getattr(self, name), name)
        finite_number(self.r_wire_ohm, "r_wire_ohm", low=0, strict=False, unit=" Ω")
        try:
            model = get_model(self.model)
        except Exception as error:  # noqa: BLE001 - any lookup failure is a parameter error
            raise ParameterError(str(error)) from None
        object.__setattr__(self, "params", dict(model.resolve(dict(self.params))))

    @property
    def shape(self) -> tuple[int, int]:
        return self.rows, self.cols

    @property
    def crossbar(self) -> CrossbarConfig:
        return CrossbarConfig(self.rows, self.cols, r_word_ohm=self.r_wire_ohm, r_bit_ohm=self.r_wire_ohm)

    def cells(self, states: np.ndarray) -> MemristorCells:
        """The array with every cell at ``states`` (range-checked against the model)."""
        from memspice.spicelib import get_model

        return MemristorCells(get_model(self.model), states, self.params, self.cell_params)

    def clip_states(self, states: np.ndarray) -> np.ndarray:
        """``states`` clipped to the range of the model's initial-state parameter. The soft
        bound of the catalog models lets a state that runs into its bound overshoot by up to
        ~1e-3 of the range; the next run must start inside the range."""
        from memspice.spicelib import get_model

        model = get_model(self.model)
        return np.clip(states, *model.parameter(model.state_initial).bounds)

    def read_conductance(self, states: np.ndarray, v_read_V: float) -> np.ndarray:
        """Conductance (S) of each cell at ``v_read_V`` from the model's own equations (no simulator)."""
        return self.cells(states).read_conductance(v_read_V)


@dataclass(frozen=True, eq=False)
class ScheduleRun:
    """One simulated schedule: waveforms, the nodes to read them, states before and after."""

    bench: ArrayBench
    schedule: Schedule
    netlist: Netlist
    netlist_text: str
    nodes: CrossbarNodes
    state_nodes: np.ndarray
    waveforms: Waveforms
    states_before: np.ndarray
    states_after: np.ndarray  # clipped to the model's state range (ArrayBench.clip_states)
    wall_time_s: float

    @property
    def netlist_suffix(self) -> str:
        """``.sim`` for a VACASK netlist, ``.cir`` for ngspice (the engine that ran)."""
        return self.waveforms.netlist_suffix

    @property
    def time_s(self) -> np.ndarray:
        return self.waveforms.column("time_s")

    def bit_currents_A(self, phase: int) -> np.ndarray:
        """Current out of each bit line into its 0 V sink (A, positive for current flowing
        from the word lines into the sinks) at the middle of phase ``phase``'s flat top."""
        t = self.schedule.midpoint_s(phase)
        return _interpolate_rows(t, self.time_s, output_currents(self.nodes, self.waveforms, point=None))

    def read_row_conductance_S(self, phase: int) -> np.ndarray:
        """``(cols,)`` conductances of the row a :meth:`Phase.read` phase drives, from its
        bit-line currents: G = I / V_read (exact with ideal wires; wire resistance lowers it)."""
        levels = self.schedule.phases[phase].word_levels_V
        driven = np.flatnonzero(levels)
        if driven.size != 1 or np.any(self.schedule.phases[phase].bit_levels_V):
            raise ParameterError(f"phase {phase} ({self.schedule.phases[phase].label!r}) is not a one-row read")
        return self.bit_currents_A(phase) / float(levels[driven[0]])

    def states_at(self, t_s: float) -> np.ndarray:
        """``(rows, cols)`` device states at time ``t_s`` (interpolated between time points)."""
        return _interpolate_rows(t_s, self.time_s, self.waveforms.family(_voltage_columns(self.state_nodes)))

    def state_traces(self) -> np.ndarray:
        """``(time points, rows, cols)`` device states over the whole schedule (not clipped)."""
        return self.waveforms.family(_voltage_columns(self.state_nodes))

    def cell_voltages_V(self) -> np.ndarray:
        """``(time points, rows, cols)`` voltage across every cell (word minus bit side)."""
        return cell_voltages(self.nodes, self.waveforms, point=None)

    def energy_J(self, *, t_stop_s: float | None = None) -> float:
        """Energy every source delivered over the whole schedule, or up to ``t_stop_s`` (J)."""
        from memspice.analysis.energy import source_energies

        return float(sum(source_energies(self.waveforms, self.netlist, t_stop_s=t_stop_s).values()))


def run_schedule(bench: ArrayBench, states0: np.ndarray, schedule: Schedule, *, options: RunOptions | None = None,
                 name: str = "schedule", title: str | None = None) -> ScheduleRun:
    """Simulate ``schedule`` on ``bench`` from ``states0`` (``(rows, cols)`` model states) with
    ``options`` (engine and time limit; default :class:`RunOptions`)."""
    (run_,) = run_schedules(bench, [(states0, schedule)], options=options, name=name, title=title)
    return run_


def run_schedules(bench: ArrayBench, programs: Sequence[tuple[np.ndarray, Schedule]], *,
                  options: RunOptions | None = None, name: str = "schedule",
                  title: str | None = None) -> list[ScheduleRun]:
    """Simulate several independent ``(states0, schedule)`` programs on ``bench``, each from
    its own states, as :func:`run_schedule` does one. They go to the engine as one batch
    (:func:`memspice.engine.runner.run_many`: one VACASK process for all of them; ngspice
    runs them one after the other), so a loop that knows several next steps at once pays one
    simulator start. ``wall_time_s`` of each run is the batch's wall time shared equally."""
    from memspice.engine.runner import run_many

    options = options or RunOptions()
    started = time.perf_counter()
    built = [_schedule_netlist(bench, np.asarray(states0, dtype=float), schedule, name=name, title=title)
             for states0, schedule in programs]
    outputs = run_many([netlist for netlist, _, _, _ in built], backend=options.engine,
                       timeout_s=options.timeout_s, name=name)
    share = (time.perf_counter() - started) / max(len(built), 1)
    runs = []
    for (netlist, nodes, states, cells), (_, schedule), waveforms in zip(built, programs, outputs):
        after = bench.clip_states(waveforms.family(_voltage_columns(states), point=-1))
        runs.append(ScheduleRun(bench=bench, schedule=schedule, netlist=netlist, netlist_text=waveforms.netlist_text,
                                nodes=nodes, state_nodes=states, waveforms=waveforms,
                                states_before=cells.state0.copy(), states_after=after, wall_time_s=share))
    return runs


def _schedule_netlist(bench: ArrayBench, states0: np.ndarray, schedule: Schedule, *, name: str,
                      title: str | None) -> tuple[Netlist, CrossbarNodes, np.ndarray, MemristorCells]:
    """The netlist of one schedule on ``bench`` from ``states0``, its crossbar nodes, the
    ``(rows, cols)`` state node names and the cells."""
    if schedule.shape != bench.shape:
        raise ParameterError(f"schedule is for a {schedule.shape[0]} × {schedule.shape[1]} array, "
                             f"the bench is {bench.rows} × {bench.cols}")
    if schedule.has_gates != (bench.cell == "1T1R"):
        raise ParameterError(f"a {bench.cell} bench needs a schedule {'with' if bench.cell == '1T1R' else 'without'} "
                             "gate levels (Phase.gate_levels_V)")
    cells = bench.cells(states0)
    netlist = Netlist(title=title or (f"memspice {name}: {bench.rows}x{bench.cols} {bench.cell} {bench.model}, "
                                      f"{len(schedule.phases)} phases, r_wire {bench.r_wire_ohm:g} ohm"))
    array = cells
    if bench.cell == "1T1R":
        gates = [f"gl{i}" for i in range(bench.rows)]
        netlist.add(*(VoltageSource(node, node, "0", waveform) for node, waveform in zip(gates, schedule.gate_waveforms())))
        array = TransistorCells(cells, gate_nodes=gates, transistor=bench.transistor)
    nodes = add_crossbar(netlist, bench.crossbar, array, word_lines=list(schedule.word_lines()),
                         bit_lines=list(schedule.bit_lines()))
    site = CellSite(prefix=nodes.prefix, word_nodes=nodes.word_nodes, bit_nodes=nodes.bit_nodes)
    states = state_nodes(array, site)["memristor"]
    max_step = schedule.max_step_s()
    netlist.analysis = Tran(step_s=max_step / 2, stop_s=schedule.stop_s, max_step_s=max_step, uic=True)
    # `ngspice -b` runs a transient only with something to print: the first cells' states.
    netlist.print_vectors = [f"v({node})" for node in states.ravel()[:PRINTED_VECTORS]]
    return netlist, nodes, states, cells


def _voltage_columns(nodes: np.ndarray) -> np.ndarray:
    """``v(<node>)_V`` for every node of a grid of node names (same shape)."""
    return np.char.add(np.char.add("v(", np.asarray(nodes).astype(str)), ")_V")


def _interpolate_rows(t_s: float, time_s: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` (shape ``(points, *S)``) linearly interpolated at ``t_s``: shape ``S``
    (what ``np.interp`` gives per column, for all columns at once)."""
    if t_s <= time_s[0]:
        return values[0].copy()
    if t_s >= time_s[-1]:
        return values[-1].copy()
    k = int(np.searchsorted(time_s, t_s, side="right"))  # time_s[k - 1] <= t_s < time_s[k]
    slope = (values[k] - values[k - 1]) / (time_s[k] - time_s[k - 1])
    return slope * (t_s - time_s[k - 1]) + values[k - 1]  # np.interp's own formula, bit for bit


def pin_engine(options: RunOptions | None, ran: ScheduleRun) -> RunOptions:
    """``options`` with ``engine="auto"`` replaced by the engine that ran ``ran``: the later
    steps of a loop then run in the same simulator (and with the same device equations) as
    the first, whatever their size."""
    options = options or RunOptions()
    if options.engine != AUTO:
        return options
    return dataclasses.replace(options, engine=ran.waveforms.backend)
