"""Write-verify of chosen cells to target conductances: pulse, read, compare, repeat.

The closed-loop update of DOMAIN.md §4 (Yao et al., Nat. Commun. 8:15199, 2017): each cell
in turn gets a write pulse followed by a read of its row, as one short transient from the
saved states; Python compares the read-back with the target and stops the cell once it is
within ``tolerance_S``, once a pulse carried it past the target, or after ``max_pulses``.
The cells are verified one at a time in the order given, as hardware must (cells on a shared
source line cannot be told apart). What the study supplies is the two phases: the pulse that
moves cell ``(r, c)`` up or down, and the read of row ``r`` (:class:`~memspice.circuits.line_schedule.Phase`).

Simulation may run the rows side by side (``rows_together``): the next pulse of every row's
current cell is a transient of its own from the same saved states, all in one batch
(:func:`~memspice.flows.array_pulses.run_schedules`, one VACASK process), and each row keeps
its own row of states. That is exact when a pulse moves no cell outside its row (a 1T1R
array with the other rows' gates off, and ideal wires), which is checked after every round;
the hardware order, latency and energy are still those of one cell at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from memspice.circuits.line_schedule import Phase, Schedule
from memspice.engine.options import RunOptions
from memspice.errors import SimulationError
from memspice.flows.array_pulses import ArrayBench, ScheduleRun, run_schedules

#: A pulse that moves cell (row, col) up (+1) or down (−1) in conductance.
PulseBuilder = Callable[[int, int, int], Phase]
#: The read of one row (its bit-line currents give the row's conductances).
ReadBuilder = Callable[[int], Phase]


@dataclass(frozen=True)
class VerifyResult:
    """What write-verify did: final states ``(rows, cols)``, the last read-back of every cell
    it worked on (S, NaN elsewhere), pulses per cell, the schedules in hardware order (one per
    pulse, each pulse then its read), energy (J), device time (s) and transients simulated."""

    states: np.ndarray
    read_S: np.ndarray
    pulses: np.ndarray
    schedules: tuple[Schedule, ...]
    energy_J: float
    device_time_s: float
    transients: int
    first_run: ScheduleRun | None


def verify_cells(bench: ArrayBench, states0: np.ndarray, cells: Sequence[tuple[int, int]], targets_S: np.ndarray,
                 start_S: np.ndarray, *, pulse: PulseBuilder, read: ReadBuilder, tolerance_S: float, max_pulses: int,
                 gap_s: float = 2e-9, rows_together: bool = False, options: RunOptions | None = None,
                 name: str = "verify") -> VerifyResult:
    """Write-verify ``cells`` (in this order) from ``states0`` to ``targets_S`` (``(rows, cols)``,
    S), starting from the read-backs ``start_S`` (S). See the module docstring."""
    rows, cols = bench.shape
    states = np.array(states0, dtype=float)
    read_S = np.full((rows, cols), np.nan)
    pulses = np.zeros((rows, cols), dtype=int)
    order: list[tuple[int, int, Schedule]] = []
    energy = device_time = 0.0
    transients = 0
    first: ScheduleRun | None = None
    lanes = [[cell for cell in cells if cell[0] == r] for r in range(rows)] if rows_together else [list(cells)]
    lanes = [lane for lane in lanes if lane]
    last = {cell: float(start_S[cell]) for cell in cells}
    overshot: set[tuple[int, int]] = set()

    def settled(cell: tuple[int, int]) -> bool:
        return abs(last[cell] - targets_S[cell]) <= tolerance_S or pulses[cell] >= max_pulses or cell in overshot

    def advance(lane: list[tuple[int, int]]) -> None:
        while lane and settled(lane[0]):
            lane.pop(0)

    for lane in lanes:
        advance(lane)
    while any(lanes):
        active = [lane[0] for lane in lanes if lane]
        plans = []
        for r, c in active:
            direction = 1 if targets_S[r, c] > last[r, c] else -1
            plans.append((r, c, direction, Schedule((pulse(r, c, direction), read(r)), gap_s=gap_s)))
        runs = run_schedules(bench, [(states, plan[-1]) for plan in plans], options=options, name=name)
        merged = states.copy()
        for (r, c, direction, schedule), run in zip(plans, runs):
            first = first or run
            transients += 1
            pulses[r, c] += 1
            energy += run.energy_J()
            device_time += schedule.stop_s
            order.append((r, c, schedule))
            if len(runs) == 1:
                merged = run.states_after
            else:
                check_rows_kept(run, r, tolerance=1e-9,
                                promise="no pulse should reach another row; run them one at a time (rows_together=False)")
                merged[r] = run.states_after[r]
            g = float(run.read_row_conductance_S(1)[c])
            read_S[r, c] = g
            if (g - targets_S[r, c]) * direction > 0:  # carried past the target: one more pulse would go back
                overshot.add((r, c))
            last[r, c] = g
        states = merged
        for lane in lanes:
            advance(lane)
    # Hardware order: cell by cell as listed, each cell's pulses in turn.
    rank = {cell: k for k, cell in enumerate(cells)}
    schedules = tuple(schedule for _, _, schedule in sorted(order, key=lambda item: rank[item[0], item[1]]))
    return VerifyResult(states, read_S, pulses, schedules, energy, device_time, transients, first)


def check_rows_kept(run: ScheduleRun, row: int, *, tolerance: float, promise: str) -> None:
    """SimulationError when a pulse on ``row`` moved a cell of another row by more than
    ``tolerance`` (in model state): the rows were run side by side on ``promise``, the reason
    given for believing they do not interact (named in the message)."""
    others = np.delete(np.abs(run.states_after - run.states_before), row, axis=0)
    if others.size and float(others.max()) > tolerance:
        raise SimulationError(
            f"write-verify ran the rows side by side, but a pulse on row {row} moved a cell of another row by "
            f"{float(others.max()):.3g} (more than {tolerance:.3g}); {promise}",
            netlist_path=run.waveforms.netlist_path, log_tail="", simulator=run.waveforms.backend)
