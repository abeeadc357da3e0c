"""What a run will cost, estimated from its config before anything is built or simulated.

Every study says what its largest simulation holds (:class:`RunCost`: elements, nodes, time
points of the transient, values saved per point) and how many simulations it runs;
:func:`check_cost` compares the estimate with the run options' caps (``--max-points``,
``--max-memory``) and refuses, naming the cap, before a netlist is written. A forgotten unit
suffix (``--pulse-width 50`` for 50 ns) then gets a message with the time points it asks for,
not a simulator that runs for days; an array too large for the machine gets the memory it
would need, not an out-of-memory kill halfway through.

The memory model is deliberately simple and conservative (measured here, 2 cores, 24 GiB,
peak resident memory of the whole ``memspice crossbar-read`` process with wires):

* ``BYTES_PER_ELEMENT``: the simulator's per-element storage plus memspice's netlist objects,
  node tables and result columns. Measured 2.2 kB per element in VACASK (512 × 512 with wires,
  786k elements, 1.7 GB) and about 4 kB in ngspice (64 × 64, 12k elements, 48 MB above the
  interpreter);
* ``BYTES_PER_VALUE``: one saved value of a transient, 8 bytes, held about three times (the
  simulator's vectors, the raw file read into numpy, the table);
* ``BASE_BYTES``: the interpreter with numpy, pandas, matplotlib and the simulator loaded
  (measured 250–365 MB for a small run, depending on what the run imports).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from memspice.errors import ParameterError

BYTES_PER_ELEMENT = 4096
BYTES_PER_VALUE = 3 * 8
BASE_BYTES = 512 * 2**20


def physical_memory_bytes() -> int:
    """This machine's memory (bytes), from ``sysconf``; 8 GiB when it cannot say."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (OSError, ValueError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 * 2**30


def default_max_memory_bytes() -> int:
    """The default ``--max-memory``: half of this machine's memory (the rest for the system and
    the simulator's own peaks)."""
    return physical_memory_bytes() // 2


@dataclass(frozen=True)
class RunCost:
    """The estimated size of a study's run.

    ``elements``, ``nodes``, ``time_points`` and ``saved_values`` describe its largest
    simulation (``time_points`` is 1 for an operating point; ``saved_values`` how many numbers
    each time point stores, about nodes + sources); ``simulations`` how many it runs;
    ``what`` names the largest simulation for the message (``"a 4096x4096 0T1R read"``);
    ``points_option`` the option that sets its time points (``"--pulse-width"``), named
    when the points are refused, with a word on unit suffixes when it is a duration
    (``points_option_is_duration``).
    """

    what: str
    elements: int
    nodes: int
    time_points: int = 1
    saved_values: int | None = None
    simulations: int = 1
    points_option: str = ""
    points_option_is_duration: bool = False

    @property
    def values_per_point(self) -> int:
        return self.saved_values if self.saved_values is not None else self.nodes + 1

    @property
    def memory_bytes(self) -> int:
        """Estimated peak memory of the largest simulation (bytes), see the module docstring."""
        return (BASE_BYTES + self.elements * BYTES_PER_ELEMENT
                + self.time_points * self.values_per_point * BYTES_PER_VALUE)


def _bytes(value: float) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if value >= size:
            return f"{value / size:.3g} {unit}"
    return f"{value / 2**10:.3g} KiB"


def check_cost(cost: RunCost, *, max_points: int, max_memory_bytes: float | None) -> None:
    """Refuse (ParameterError, one line) a run whose largest simulation has more than
    ``max_points`` time points or needs more than ``max_memory_bytes`` (None: half this
    machine's memory), naming the estimate and the option that caps it."""
    if cost.time_points > max_points:
        cause = f" (set by {cost.points_option}" if cost.points_option else ""
        if cause and cost.points_option_is_duration:
            cause += ": a forgotten unit suffix? 50n is 50 ns"
        cause += ")" if cause else ""
        raise ParameterError(
            f"{cost.what} would take {cost.time_points:.3g} time points, more than --max-points={max_points:g}"
            f"{cause}; shorten the run or raise --max-points")
    limit = default_max_memory_bytes() if max_memory_bytes is None else max_memory_bytes
    need = cost.memory_bytes
    if need > limit:
        default = " (the default: half of this machine's memory)" if max_memory_bytes is None else ""
        points = f", {cost.time_points:,} time points" if cost.time_points > 1 else ""
        raise ParameterError(
            f"{cost.what} would need about {_bytes(need)} of memory ({cost.elements:,} elements, "
            f"{cost.nodes:,} nodes{points}), more than --max-memory={_bytes(limit)}"
            f"{default}; make it smaller or raise --max-memory")


#: Elements and internal nodes a cell of each kind adds (a behavioural memristor subcircuit:
#: its current source, state capacitor and rate source; a selector; an access transistor).
CELL_ELEMENTS = {"conductance": 1, "memristor": 4, "1S1R": 4, "1T1R": 2}
CELL_NODES = {"conductance": 0, "memristor": 2, "1S1R": 2, "1T1R": 1}


def array_cost(what: str, rows: int, cols: int, *, cell: str = "conductance", device: str = "conductance",
               wires: bool, time_points: int = 1, simulations: int = 1, points_option: str = "",
               points_option_is_duration: bool = True, saved_values: int | None = None) -> RunCost:
    """The cost of a ``rows × cols`` array read or written in one simulation.

    ``device`` is ``"conductance"`` (a resistor per cell) or ``"memristor"`` (a behavioural
    model); ``cell`` adds a selector (``"1S1R"``) or an access transistor (``"1T1R"``);
    ``wires``: a resistor per word- and bit-line segment of every cell (two more nodes).
    ``saved_values`` defaults to every node (what ngspice keeps of a transient).
    """
    cells = rows * cols
    extra = cell if cell in ("1S1R", "1T1R") else None
    elements = cells * (CELL_ELEMENTS[device] + (CELL_ELEMENTS[extra] if extra else 0) + (2 if wires else 0)) + rows + cols
    nodes = cells * (CELL_NODES[device] + (CELL_NODES[extra] if extra else 0) + (2 if wires else 0)) + rows + cols
    return RunCost(what=what, elements=elements, nodes=nodes, time_points=time_points, simulations=simulations,
                   points_option=points_option, points_option_is_duration=points_option_is_duration,
                   saved_values=saved_values)


def transient_points(stop_s: float, max_step_s: float) -> int:
    """Time points of a transient from 0 to ``stop_s`` at its maximum step (a lower bound of what
    the simulator stores)."""
    return int(stop_s / max_step_s) + 1
