"""Line schedules: a sequence of phases, each holding every word and bit line at a level.

A write scheme (:mod:`memspice.circuits.write_schemes`) sets the lines for one pulse. Programs
of several pulses — the two-step (SET, then RESET) update of a column, a write followed by a
read-back, the overlapping row and column trains of a coincidence write — are a
:class:`Schedule` of :class:`Phase` objects: in phase k every word line i goes to
``word_levels_V[i]`` and every bit line j to ``bit_levels_V[j]``, all with the same trapezoid
(``rise_s`` edges, ``width_s`` flat top), and every line returns to 0 V for ``gap_s`` before
the next phase. Each line becomes one ``PWL`` source (``Dc(0)`` if it never leaves 0 V), so a
whole program is one transient::

    level ^        phase 0              phase 1
          |      ________             ________
          |     /        \\           /        \\
    0 V --+----/          \\---------/          \\-----
          delay rise width fall gap  rise width fall  tail

Every line switches on the same edges, so no cell sees an overshoot from skewed drivers.
All times are in seconds, levels in volts; the schedule is validated when built.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from memspice.circuits.crossbar import Source
from memspice.errors import ParameterError
from memspice.netlist import Dc
from memspice.netlist.elements import Pwl


def _levels(values: object, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=float) if not isinstance(values, str) else np.array([])
    if array.ndim != 1 or array.size == 0:
        raise ParameterError(f"{what}={values!r} is not allowed; give a non-empty sequence of voltages (V)")
    if not np.all(np.isfinite(array)):
        raise ParameterError(f"{what}={values!r} contains a non-finite level; floating lines cannot be scheduled")
    array = array.copy()
    array.setflags(write=False)
    return array


def _time(value: object, what: str, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(value)) or float(value) < 0 or (float(value) == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ParameterError(f"{what}={value!r} is not allowed; use a finite time {bound} s")
    return float(value)


@dataclass(frozen=True)
class Phase:
    """Every line at one level (V) for one trapezoid: ``rise_s`` up, ``width_s`` flat, ``rise_s`` down.

    ``word_levels_V`` has one level per word line (row), ``bit_levels_V`` one per bit line;
    cell (i, j) sees ``word_levels_V[i] − bit_levels_V[j]`` on the flat top (ideal wires).
    ``label`` names the phase in results (``"write 2,3"``, ``"read 2"``, ``"slot 5"``).
    ``gate_levels_V`` (1T1R arrays: one per row's gate line, None otherwise) follows the same
    trapezoid: the transistors of a row conduct only while its gate is up.
    """

    word_levels_V: np.ndarray
    bit_levels_V: np.ndarray
    width_s: float
    rise_s: float = 1e-9
    label: str = ""
    gate_levels_V: np.ndarray | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "word_levels_V", _levels(self.word_levels_V, "Phase.word_levels_V"))
        object.__setattr__(self, "bit_levels_V", _levels(self.bit_levels_V, "Phase.bit_levels_V"))
        if self.gate_levels_V is not None:
            gates = _levels(self.gate_levels_V, "Phase.gate_levels_V")
            if gates.size != self.word_levels_V.size:
                raise ParameterError(f"Phase.gate_levels_V has {gates.size} levels for {self.word_levels_V.size} rows")
            object.__setattr__(self, "gate_levels_V", gates)
        object.__setattr__(self, "width_s", _time(self.width_s, "Phase.width_s"))
        object.__setattr__(self, "rise_s", _time(self.rise_s, "Phase.rise_s"))

    @property
    def shape(self) -> tuple[int, int]:
        return self.word_levels_V.size, self.bit_levels_V.size

    @property
    def length_s(self) -> float:
        """rise + width + fall (s)."""
        return self.width_s + 2 * self.rise_s

    @property
    def cell_voltages_V(self) -> np.ndarray:
        """``(rows, cols)`` ideal cell voltages on the flat top (word minus bit level)."""
        return self.word_levels_V[:, None] - self.bit_levels_V[None, :]

    @classmethod
    def from_levels(cls, word_levels_V: Sequence[float], bit_levels_V: Sequence[float], *, width_s: float,
                    rise_s: float = 1e-9, label: str = "") -> Phase:
        return cls(np.asarray(word_levels_V, dtype=float), np.asarray(bit_levels_V, dtype=float), width_s, rise_s,
                   label)

    @classmethod
    def read(cls, rows: int, cols: int, row: int, *, v_read_V: float, width_s: float, rise_s: float = 1e-9,
             label: str | None = None) -> Phase:
        """Read of word line ``row``: that line at ``v_read_V``, every other line at 0 V, so
        with ideal wires bit line j carries exactly ``G[row, j]·v_read_V`` (every other cell
        has 0 V across it)."""
        if isinstance(row, bool) or not isinstance(row, (int, np.integer)) or not 0 <= row < rows:
            raise ParameterError(f"read row={row!r} is outside the array (rows 0..{rows - 1})")
        if not isinstance(v_read_V, (int, float, np.integer, np.floating)) or not math.isfinite(v_read_V) \
                or v_read_V == 0:
            raise ParameterError(f"v_read_V={v_read_V!r} is not allowed; use a finite non-zero voltage")
        word = np.zeros(rows)
        word[row] = float(v_read_V)
        return cls(word, np.zeros(cols), width_s, rise_s, f"read {row}" if label is None else label)


@dataclass(frozen=True)
class Schedule:
    """Phases one after the other, lines at 0 V for ``gap_s`` between them, the first edge at
    ``delay_s`` and ``tail_s`` of 0 V after the last one (the transient stops there)."""

    phases: tuple[Phase, ...]
    gap_s: float = 5e-9
    delay_s: float = 5e-9
    tail_s: float = 5e-9

    def __post_init__(self) -> None:
        phases = tuple(self.phases) if not isinstance(self.phases, Phase) else (self.phases,)
        if not phases or not all(isinstance(p, Phase) for p in phases):
            raise ParameterError("Schedule.phases must be a non-empty sequence of Phase objects")
        shapes = {p.shape for p in phases}
        if len(shapes) != 1:
            raise ParameterError(f"Schedule.phases disagree on the array size: {sorted(shapes)}")
        if len({p.gate_levels_V is None for p in phases}) != 1:
            raise ParameterError("Schedule.phases disagree on gate lines: give gate_levels_V to every phase or none")
        object.__setattr__(self, "phases", phases)
        object.__setattr__(self, "gap_s", _time(self.gap_s, "Schedule.gap_s"))
        object.__setattr__(self, "delay_s", _time(self.delay_s, "Schedule.delay_s"))
        object.__setattr__(self, "tail_s", _time(self.tail_s, "Schedule.tail_s", allow_zero=True))

    @property
    def shape(self) -> tuple[int, int]:
        return self.phases[0].shape

    @property
    def starts_s(self) -> np.ndarray:
        """Time each phase starts rising (s)."""
        lengths = np.array([p.length_s for p in self.phases])
        return self.delay_s + np.concatenate([[0.0], np.cumsum(lengths[:-1] + self.gap_s)])

    @property
    def stop_s(self) -> float:
        """End of the transient: last fall plus ``tail_s`` (s)."""
        return float(self.starts_s[-1] + self.phases[-1].length_s + self.tail_s)

    def flat_top_s(self, index: int) -> tuple[float, float]:
        """``(start, end)`` of phase ``index``'s flat top (s)."""
        phase = self.phases[index]
        start = float(self.starts_s[index]) + phase.rise_s
        return start, start + phase.width_s

    def midpoint_s(self, index: int) -> float:
        start, end = self.flat_top_s(index)
        return 0.5 * (start + end)

    def _line_waveform(self, levels: Sequence[float]) -> Pwl | Dc:
        if not any(levels):
            return Dc(0.0)
        points: list[tuple[float, float]] = [(0.0, 0.0)]
        for start, phase, level in zip(self.starts_s, self.phases, levels):
            if level == 0:
                continue
            start = float(start)
            points += [(start, 0.0), (start + phase.rise_s, level), (start + phase.rise_s + phase.width_s, level),
                       (start + phase.length_s, 0.0)]
        # Adjacent phases at 0 between them give repeated times only if gap_s were 0 (refused).
        return Pwl(tuple(points))

    def word_waveforms(self) -> list[Pwl | Dc]:
        return [self._line_waveform([float(p.word_levels_V[i]) for p in self.phases]) for i in range(self.shape[0])]

    def bit_waveforms(self) -> list[Pwl | Dc]:
        return [self._line_waveform([float(p.bit_levels_V[j]) for p in self.phases]) for j in range(self.shape[1])]

    @property
    def has_gates(self) -> bool:
        """True when the phases drive gate lines (a 1T1R array)."""
        return self.phases[0].gate_levels_V is not None

    def gate_waveforms(self) -> list[Pwl | Dc]:
        """One waveform per row's gate line (:attr:`has_gates` schedules only)."""
        if not self.has_gates:
            raise ParameterError("this schedule drives no gate lines (its phases have no gate_levels_V)")
        return [self._line_waveform([float(p.gate_levels_V[i]) for p in self.phases])  # type: ignore[index]
                for i in range(self.shape[0])]

    def word_lines(self) -> tuple[Source, ...]:
        """Terminations for :func:`~memspice.circuits.crossbar.add_crossbar` ``word_lines``."""
        return tuple(Source(w) for w in self.word_waveforms())

    def bit_lines(self) -> tuple[Source, ...]:
        """Terminations for :func:`~memspice.circuits.crossbar.add_crossbar` ``bit_lines``."""
        return tuple(Source(w) for w in self.bit_waveforms())

    def max_step_s(self) -> float:
        """A time-step cap that puts several points on every edge and flat top (s)."""
        return min(min(p.rise_s for p in self.phases), min(p.width_s for p in self.phases) / 20)
