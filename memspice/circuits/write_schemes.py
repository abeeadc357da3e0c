"""Write pulses and write-scheme line biases for a crossbar (issue 5, points 1-2).

A write scheme decides the level of every word line (WL) and bit line (BL) while one or
more target cells are written with a pulse of amplitude V_W (word side minus bit side):

=================  ============  ============  ===============  ===============  ==============  ===========
scheme             selected WL   selected BL   unselected WL    unselected BL    half-selected   unselected
=================  ============  ============  ===============  ===============  ==============  ===========
``v2``             V_W           0             V_W/2            V_W/2            V_W/2           0
``v2_symmetric``   +V_W/2        −V_W/2        0                0                ±V_W/2          0
``v3``             V_W           0             V_W/3            2V_W/3           V_W/3           −V_W/3
``float``          V_W           0             floating         floating         (sneak paths)   (sneak)
=================  ============  ============  ===============  ===============  ==============  ===========

(``v2_symmetric`` is Prezioso's form: the two selected lines at ±V_W/2, every other line
grounded; the WL carries +V_W/2 so the selected cell sees +V_W like the other schemes.)
A negative V_W (a pulse of the other polarity) mirrors every level.

Every biased line is a :class:`~memspice.netlist.Pulse` from 0 V to its level with the
scheme's common timing (0 V lines are ``Dc(0)``), so all lines switch together and no cell
sees a transient overshoot from skewed edges. Cells where a selected WL crosses a selected
BL are ``selected`` (with several targets in different rows and columns, the crossings
that are not targets are selected too: the scheme cannot tell them apart); cells on exactly
one selected line are ``half_selected``; the rest ``unselected``.

Multi-pulse programs use the same levels as phases of a line schedule
(:mod:`memspice.circuits.line_schedule`): :func:`scheme_phase` turns one write into a
phase, and :func:`manhattan_phases` gives the two-step parallel update of a whole column
(or row), one step for the cells whose conductance must rise and one for those that must
fall (the Manhattan rule in hardware, Prezioso 2015).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from memspice.circuits.crossbar import Floating, Source, Termination
from memspice.circuits.line_schedule import Phase
from memspice.errors import ParameterError
from memspice.netlist import Dc
from memspice.netlist.elements import Pulse
from memspice.validation import finite_number, positive_int

SCHEMES: tuple[str, ...] = ("v2", "v2_symmetric", "v3", "float")
ROLES: tuple[str, ...] = ("selected", "half_selected", "unselected")
SELECTED, HALF_SELECTED, UNSELECTED = ROLES


@dataclass(frozen=True)
class WritePulse:
    """One trapezoidal write (or read) pulse: ``amplitude_V`` (signed), flat-top ``width_s``,
    ``rise_s``/``fall_s`` edges, starting after ``delay_s``; ``count`` pulses every ``period_s``
    (a pulse train; ``period_s`` defaults to twice the pulse length)."""

    amplitude_V: float
    width_s: float = 50e-9
    rise_s: float = 1e-9
    fall_s: float = 1e-9
    delay_s: float = 5e-9
    count: int = 1
    period_s: float | None = None

    def __post_init__(self) -> None:
        amplitude = self.amplitude_V
        if isinstance(amplitude, bool) or not isinstance(amplitude, (int, float, np.integer, np.floating)) \
                or not math.isfinite(float(amplitude)) or float(amplitude) == 0:
            raise ParameterError(f"WritePulse.amplitude_V={amplitude!r} is not allowed; use a finite non-zero voltage")
        object.__setattr__(self, "amplitude_V", float(amplitude))
        for name in ("width_s", "rise_s", "fall_s"):
            object.__setattr__(self, name, finite_number(getattr(self, name), f"WritePulse.{name}", low=0.0, unit=" s"))
        object.__setattr__(self, "delay_s", finite_number(self.delay_s, "WritePulse.delay_s", low=0.0, strict=False, unit=" s"))
        if isinstance(self.count, bool) or not isinstance(self.count, (int, np.integer)) or self.count < 1:
            raise ParameterError(f"WritePulse.count={self.count!r} is not allowed; use an integer >= 1")
        object.__setattr__(self, "count", int(self.count))
        length = self.rise_s + self.width_s + self.fall_s
        if self.period_s is None:
            object.__setattr__(self, "period_s", 2 * length)
        else:
            period = finite_number(self.period_s, "WritePulse.period_s", low=0.0, unit=" s")
            if period < length:
                raise ParameterError(f"WritePulse.period_s={period!r} is shorter than one pulse "
                                     f"(rise + width + fall = {length!r} s)")
            object.__setattr__(self, "period_s", period)

    @property
    def length_s(self) -> float:
        """rise + width + fall of one pulse (s)."""
        return self.rise_s + self.width_s + self.fall_s

    @property
    def end_s(self) -> float:
        """Time the last pulse of the train has fallen back to 0 (s)."""
        return self.delay_s + (self.count - 1) * self.period_s + self.length_s  # type: ignore[operator]

    def waveform(self, level_V: float | None = None) -> Pulse | Dc:
        """This pulse's timing at ``level_V`` (default the amplitude); ``Dc(0)`` for a 0 V level.
        A single pulse gets a period far beyond the pulse so it never repeats."""
        level = self.amplitude_V if level_V is None else float(level_V)
        if level == 0:
            return Dc(0.0)
        period = self.period_s if self.count > 1 else 1e3 * (self.delay_s + self.length_s)
        return Pulse(0.0, level, self.delay_s, self.rise_s, self.fall_s, self.width_s, period)  # type: ignore[arg-type]

    def with_amplitude(self, amplitude_V: float) -> WritePulse:
        return WritePulse(amplitude_V, self.width_s, self.rise_s, self.fall_s, self.delay_s, self.count,
                          self.period_s if self.count > 1 else None)


def set_pulse(amplitude_V: float = 2.0, width_s: float = 50e-9, **timing: float) -> WritePulse:
    """SET pulse, default +2.0 V, 50 ns (DOMAIN.md §3)."""
    return WritePulse(amplitude_V, width_s, **timing)  # type: ignore[arg-type]


def reset_pulse(amplitude_V: float = -1.8, width_s: float = 50e-9, **timing: float) -> WritePulse:
    """RESET pulse, default −1.8 V, 50 ns (DOMAIN.md §3)."""
    return WritePulse(amplitude_V, width_s, **timing)  # type: ignore[arg-type]


def read_pulse(amplitude_V: float = 0.2, width_s: float = 50e-9, **timing: float) -> WritePulse:
    """Read pulse, default 0.2 V (DOMAIN.md §3 read voltage)."""
    return WritePulse(amplitude_V, width_s, **timing)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SchemeBias:
    """Line terminations and cell roles of one write scheme.

    ``word_levels_V``/``bit_levels_V``: the pulse level of every line (NaN for a floating
    line); ``word_lines``/``bit_lines``: terminations for :func:`add_crossbar`;
    ``roles``: ``(rows, cols)`` array of ``selected``/``half_selected``/``unselected``;
    ``expected_cell_V``: the ideal (zero wire resistance) cell voltage during the pulse,
    NaN where a floating line makes it depend on the array.
    """

    scheme: str
    pulse: WritePulse
    word_levels_V: np.ndarray
    bit_levels_V: np.ndarray
    word_lines: tuple[Termination, ...]
    bit_lines: tuple[Termination, ...]
    roles: np.ndarray
    expected_cell_V: np.ndarray

    def role_counts(self) -> dict[str, int]:
        return {role: int(np.count_nonzero(self.roles == role)) for role in ROLES}


def validate_targets(targets: object, rows: int, cols: int) -> tuple[tuple[int, int], ...]:
    """``targets`` as a tuple of distinct in-range ``(row, col)`` pairs (at least one)."""
    try:
        pairs = [tuple(t) for t in targets]  # type: ignore[union-attr]
    except TypeError:
        raise ParameterError(f"targets={targets!r} must be a sequence of (row, col) pairs") from None
    if not pairs:
        raise ParameterError("targets is empty; give at least one (row, col)")
    out = []
    for pair in pairs:
        if len(pair) != 2 or any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) for k in pair):
            raise ParameterError(f"target {pair!r} must be a (row, col) pair of integers")
        r, c = int(pair[0]), int(pair[1])
        if not (0 <= r < rows and 0 <= c < cols):
            raise ParameterError(f"target ({r}, {c}) is outside the {rows} × {cols} array "
                                 f"(rows 0..{rows - 1}, cols 0..{cols - 1})")
        out.append((r, c))
    if len(set(out)) != len(out):
        raise ParameterError(f"targets {out!r} repeat a cell")
    return tuple(out)


def cell_roles(rows: int, cols: int, targets: Sequence[tuple[int, int]]) -> np.ndarray:
    """``(rows, cols)`` role array for the given targets (see the module docstring)."""
    targets = validate_targets(targets, rows, cols)
    row_sel = np.zeros(rows, dtype=bool)
    col_sel = np.zeros(cols, dtype=bool)
    for r, c in targets:
        row_sel[r] = True
        col_sel[c] = True
    on_lines = row_sel[:, None].astype(int) + col_sel[None, :].astype(int)
    return np.array([UNSELECTED, HALF_SELECTED, SELECTED], dtype=object)[on_lines]


def scheme_bias(scheme: str, rows: int, cols: int, targets: Sequence[tuple[int, int]],
                pulse: WritePulse | None = None) -> SchemeBias:
    """Line terminations and roles for writing ``targets`` with ``pulse`` (default
    :func:`set_pulse`) under ``scheme`` (one of :data:`SCHEMES`). Pure; validates everything."""
    if scheme not in SCHEMES:
        raise ParameterError(f"scheme={scheme!r} is not known; use one of {', '.join(SCHEMES)}")
    for name, value in (("rows", rows), ("cols", cols)):
        positive_int(value, name)
    pulse = set_pulse() if pulse is None else pulse
    if not isinstance(pulse, WritePulse):
        raise ParameterError(f"pulse must be a WritePulse, not {type(pulse).__name__}")
    roles = cell_roles(rows, cols, targets)
    row_sel = np.any(roles == SELECTED, axis=1)
    col_sel = np.any(roles == SELECTED, axis=0)
    v = pulse.amplitude_V
    levels = {  # (selected WL, selected BL, unselected WL, unselected BL)
        "v2": (v, 0.0, v / 2, v / 2),
        "v2_symmetric": (v / 2, -v / 2, 0.0, 0.0),
        "v3": (v, 0.0, v / 3, 2 * v / 3),
        "float": (v, 0.0, math.nan, math.nan),
    }[scheme]
    word = np.where(row_sel, levels[0], levels[2]).astype(float)
    bit = np.where(col_sel, levels[1], levels[3]).astype(float)

    def termination(level: float) -> Termination:
        return Floating() if math.isnan(level) else Source(pulse.waveform(level))

    return SchemeBias(
        scheme=scheme, pulse=pulse, word_levels_V=word, bit_levels_V=bit,
        word_lines=tuple(termination(x) for x in word), bit_lines=tuple(termination(x) for x in bit),
        roles=roles, expected_cell_V=word[:, None] - bit[None, :],
    )


def scheme_phase(scheme: str, rows: int, cols: int, targets: Sequence[tuple[int, int]], amplitude_V: float, *,
                 width_s: float = 50e-9, rise_s: float = 1e-9, label: str = "") -> Phase:
    """One write of ``targets`` under ``scheme`` as a schedule phase (amplitude signed, V).
    ``float`` is refused: a schedule drives every line in every phase."""
    if scheme == "float":
        raise ParameterError("scheme='float' leaves lines open and cannot be part of a line schedule; "
                             f"use one of {', '.join(s for s in SCHEMES if s != 'float')}")
    bias = scheme_bias(scheme, rows, cols, targets, WritePulse(amplitude_V, width_s, rise_s, rise_s))
    return Phase(bias.word_levels_V, bias.bit_levels_V, width_s, rise_s, label)


def manhattan_phases(rows: int, cols: int, *, line: int, increase: Sequence[int], decrease: Sequence[int],
                     v_increase_V: float, v_decrease_V: float, axis: str = "column", scheme: str = "v2",
                     width_s: float = 50e-9, rise_s: float = 1e-9) -> list[Phase]:
    """The two-step (Manhattan-rule) parallel update of one column (or row) of the array.

    With ``axis="column"``, cells ``(r, line)`` for ``r`` in ``increase`` get one pulse of
    ``v_increase_V`` together (step 1: the selected bit line at 0, those word lines at the
    pulse level, every other line at the scheme's half level), then cells ``(r, line)`` for
    ``r`` in ``decrease`` one pulse of ``v_decrease_V`` (step 2). ``axis="row"`` does the same
    along row ``line`` (``increase``/``decrease`` are then columns). The two polarities
    cannot share a step: a line can hold only one level. Steps with no cell are left out.

    "Increase" and "decrease" name the conductance change, not the pulse sign: for VTEAM a
    positive cell voltage moves x toward OFF, so ``v_increase_V`` is negative there.
    """
    if axis not in ("column", "row"):
        raise ParameterError(f"axis={axis!r} is not allowed; use 'column' or 'row'")
    length = rows if axis == "column" else cols
    width = cols if axis == "column" else rows
    if isinstance(line, bool) or not isinstance(line, (int, np.integer)) or not 0 <= line < width:
        raise ParameterError(f"line={line!r} is outside the array ({axis}s 0..{width - 1})")
    both = set(increase) & set(decrease)
    if both:
        raise ParameterError(f"cells {sorted(both)} are in both increase and decrease")
    phases = []
    for members, amplitude, step in ((increase, v_increase_V, "increase"), (decrease, v_decrease_V, "decrease")):
        members = sorted(int(k) for k in members)
        if not members:
            continue
        if members[0] < 0 or members[-1] >= length:
            raise ParameterError(f"{step} {members!r} reaches outside the array ({length} cells along the {axis})")
        targets = [(k, line) if axis == "column" else (line, k) for k in members]
        phases.append(scheme_phase(scheme, rows, cols, targets, amplitude, width_s=width_s, rise_s=rise_s,
                                   label=f"{step} {axis} {line}"))
    return phases
