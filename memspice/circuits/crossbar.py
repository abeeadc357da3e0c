"""A rows × cols crossbar: word lines, bit lines, wire segments, line terminations and cells.

Topology (the default is badcrossbar's, so results compare directly), rows i = 0..m−1,
columns j = 0..n−1::

                         bt<j>   (sink="both" only)
                           |  r_bit
    Vwl<i> -- wl<i> -r_word- w<i>_<j−1> -r_word- w<i>_<j> -r_word- ... w<i>_<n−1> [-r_word- wr<i> -- Vwr<i>]
                                                     |
                                                  cell (i, j)
                                                     |
                            b<i−1>_<j> -r_bit-  b<i>_<j>  -r_bit- ... b<m−1>_<j> -r_bit- bb<j> -- Vbb<j> (0 V)
                            (the bit line runs top to bottom, row 0 to row m−1)

* Word line i is driven at its left end: a voltage source at node ``wl<i>``, one ``r_word``
  segment to the first cross-point, ``cols − 1`` segments between cross-points, right end
  open (``drive="both"``: one more segment to ``wr<i>`` and a second source there).
* Bit line j is open at the top (row 0); ``rows − 1`` ``r_bit`` segments join its
  cross-points and one more runs from the bottom cross-point to node ``bb<j>``, held at 0 V
  by a sink source whose current is output j (``sink="both"``: also a segment from the top
  cross-point to ``bt<j>`` and a second sink there).
* Any line end may instead be ``Floating()`` (no end segment, no source) or ``External()``
  (the end segment up to the end node is written, the source is left to the caller, e.g.
  a TIA's virtual ground from :mod:`memspice.circuits.readout`).
* Cell (i, j) joins the word-line node of row i, column j to the bit-line node of the same
  cross-point; positive cell current flows from the word line into the bit line.

Names (all prefixed by ``prefix``, default none; node names lower-case as results name them)
--------------------------------------------------------------------------------------------
==============================  ===================================================
``w<i>_<j>``, ``b<i>_<j>``      word-/bit-line node of cross-point (i, j)
``wl<i>``, ``wr<i>``            left / right end node of word line i; sources ``Vwl<i>``, ``Vwr<i>``
``bb<j>``, ``bt<j>``            bottom / top end node of bit line j; sources ``Vbb<j>``, ``Vbt<j>``
``Rsw<i>_<k>``                  word segment k of row i, from node k−1 to node k (node −1 is
                                ``wl<i>``, node ``cols`` is ``wr<i>``)
``Rsb<k>_<j>``                  bit segment k of column j, from node k−1 to node k (node −1
                                is ``bt<j>``, node ``rows`` is ``bb<j>``)
``Rc<i>_<j>``, ``Xc<i>_<j>``    cell (i, j): resistor or subcircuit instance
``Ccw<i>_<j>``, ``Ccb<i>_<j>``  capacitance of each word / bit cross-point node to ground
==============================  ===================================================

Cell arrays name their own parts with other tags (:data:`~memspice.circuits.crossbar_cells.RESERVED_TAGS`).

Zero wire resistance merges nodes instead of writing a segment: with ``r_word_ohm=0`` every
cross-point of word line i is node ``wl<i>`` (and a second source at the right end would
be in parallel with the first, so only the left one is written); with ``r_bit_ohm=0`` every
cross-point of bit line j is node ``bb<j>``. The column currents are then exactly Gᵀ·V.
:class:`CrossbarNodes` holds the node of every cross-point as written, merged or not.

Sign convention: every termination source is written ``V<name> <line end> 0``, so its branch
current ``i(v<name>)`` (ngspice's convention, also VACASK's in memspice) is the current that
flows **out of the array into the source**. Output currents (bit-line sinks) are therefore
positive when current flows from the array into the sink (positive inputs, positive
conductances: positive outputs); the current a word-line driver delivers into the array is
``−i(vwl<i>)``. :meth:`CrossbarNodes.output_currents` and :meth:`~CrossbarNodes.input_currents`
apply this.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal, Sequence, Union

import numpy as np

from memspice.circuits.crossbar_cells import CellArray, CellSite, node_grid
from memspice.errors import ParameterError
from memspice.netlist import CapacitorArray, Dc, Netlist, ResistorArray, VoltageSource, Waveform, element_name
from memspice.netlist.elements import Pulse, Pwl, Sine
from memspice.validation import finite_number

DriveSide = Literal["left", "both"]
SinkSide = Literal["bottom", "both"]
_WAVEFORMS = (Dc, Sine, Pulse, Pwl)
_PREFIX_RE = re.compile(r"[A-Za-z0-9_]+")


@dataclass(frozen=True)
class CrossbarConfig:
    """Size, wire resistance and termination sides of a crossbar (SI units).

    Attributes
    ----------
    rows, cols:
        Number of word lines (rows, m) and bit lines (columns, n), each >= 1.
    r_word_ohm, r_bit_ohm:
        Resistance of one word-line / bit-line segment (Ω, >= 0; 0 merges the line's nodes).
    line_capacitance_f:
        Capacitance of each cross-point node of every line to ground (F, >= 0; 0: none).
    drive:
        ``"left"`` (word lines driven at their left end, badcrossbar) or ``"both"``.
    sink:
        ``"bottom"`` (bit lines sunk at their bottom end, badcrossbar) or ``"both"``.
    """

    rows: int
    cols: int
    r_word_ohm: float = 0.0
    r_bit_ohm: float = 0.0
    line_capacitance_f: float = 0.0
    drive: DriveSide = "left"
    sink: SinkSide = "bottom"

    def __post_init__(self) -> None:
        for name in ("rows", "cols"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ParameterError(f"CrossbarConfig.{name}={value!r} is not allowed; use an integer >= 1")
            object.__setattr__(self, name, int(value))
        for name, unit in (("r_word_ohm", "Ω"), ("r_bit_ohm", "Ω"), ("line_capacitance_f", "F")):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
                raise ParameterError(
                    f"CrossbarConfig.{name}={value!r} is not a number; use a finite number >= 0 {unit}")
            if not math.isfinite(float(value)) or float(value) < 0:
                raise ParameterError(f"CrossbarConfig.{name}={value!r} is not allowed; use a finite number >= 0 {unit}")
            object.__setattr__(self, name, float(value))
        if self.drive not in ("left", "both"):
            raise ParameterError(f"CrossbarConfig.drive={self.drive!r} is not allowed; use 'left' or 'both'")
        if self.sink not in ("bottom", "both"):
            raise ParameterError(f"CrossbarConfig.sink={self.sink!r} is not allowed; use 'bottom' or 'both'")

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)``."""
        return self.rows, self.cols


# --------------------------------------------------------------------------- terminations


@dataclass(frozen=True)
class Source:
    """A line end held by an ideal voltage source to ground (a driver, a bias, a 0 V sink).

    ``waveform`` is any source waveform of :mod:`memspice.netlist` (``Dc`` for reads,
    ``Pulse``/``Pwl`` for write schemes). Its current is read as described in the module
    docstring (positive out of the array into the source).
    """

    waveform: Waveform = field(default_factory=lambda: Dc(0.0))

    def __post_init__(self) -> None:
        if not isinstance(self.waveform, _WAVEFORMS):
            raise ParameterError(f"Source.waveform={self.waveform!r} is not a memspice.netlist waveform "
                                 "(Dc, Sine, Pulse or Pwl)")


@dataclass(frozen=True)
class Floating:
    """A line end left open: no source and no end segment."""


@dataclass(frozen=True)
class External:
    """A line end left to the caller: the end segment is written up to the end node
    (``bb<j>``/``bt<j>`` of a bit line, ``wl<i>``/``wr<i>`` of a word line) as for a
    :class:`Source`, but no source is written there, so a readout block (a TIA's virtual
    ground, :mod:`memspice.circuits.readout`) or an external driver can be connected to it.
    With zero wire resistance the end node is the merged line node."""


Termination = Union[Source, Floating, External]
#: What may be given per line: one termination for every end of the line, or one per end
#: (word lines: ``(left, right)``; bit lines: ``(bottom, top)``) when the config has two.
LineTermination = Union[Termination, tuple[Termination, Termination]]


def bias(voltage_v: float) -> Source:
    """A line end tied to a DC voltage (V): ``Source(Dc(voltage_v))``."""
    return Source(Dc(finite_number(voltage_v, "bias voltage_v", unit=" V")))


GROUND = Source(Dc(0.0))


# --------------------------------------------------------------------------- result description


@dataclass(frozen=True, eq=False)
class CrossbarNodes:
    """Where a crossbar lives in a netlist (its readers are in :mod:`memspice.analysis.crossbar_readers`).

    Attributes
    ----------
    config:
        The configuration it was built from.
    prefix:
        Prefix of every name of this crossbar.
    word_nodes, bit_nodes:
        ``(rows, cols)`` arrays of node names (lower-case): the word-line and bit-line node
        of each cross-point as written (merged line nodes repeat when the wire resistance is 0).
    word_sources:
        Per row ``(left, right)``: the source names (lower-case, e.g. ``"vwl3"``), None
        where the end has no source.
    bit_sources:
        Per column ``(bottom, top)``, as ``word_sources``.
    """

    config: CrossbarConfig
    prefix: str
    word_nodes: np.ndarray
    bit_nodes: np.ndarray
    word_sources: tuple[tuple[str | None, str | None], ...]
    bit_sources: tuple[tuple[str | None, str | None], ...]


# --------------------------------------------------------------------------- building


def add_crossbar(
    netlist: Netlist,
    config: CrossbarConfig,
    cells: CellArray,
    *,
    inputs_V: Sequence[float] | np.ndarray | None = None,
    word_lines: Sequence[LineTermination] | None = None,
    bit_lines: Sequence[LineTermination] | None = None,
    prefix: str = "",
) -> CrossbarNodes:
    """Add a crossbar (wires, terminations, cells) to ``netlist``; return its node description.

    Parameters
    ----------
    netlist:
        The netlist to extend (its analysis is left to the caller).
    config:
        Size, wire resistance, line capacitance, drive and sink sides.
    cells:
        A :class:`~memspice.circuits.crossbar_cells.CellArray` of shape ``(rows, cols)``, e.g.
        ``FixedConductanceCells(G)`` or ``MemristorCells(...)``.
    inputs_V:
        Shape ``(rows,)``: DC voltage (V) of every driven end of each word line (a read).
        Give this or ``word_lines``.
    word_lines:
        One :data:`LineTermination` per row: ``Source(waveform)``, ``Floating()``, or for
        ``drive="both"`` a ``(left, right)`` pair.
    bit_lines:
        One :data:`LineTermination` per column (``(bottom, top)`` pairs for ``sink="both"``);
        default: every sink end at 0 V (virtual ground).
    prefix:
        Prepended to every node and element name (letters, digits, ``_``), so several
        crossbars can share a netlist.

    Raises
    ------
    ParameterError
        naming the argument, for a shape mismatch, a non-finite input, a bad termination,
        or two different sources on one merged (zero-resistance) line; raised before
        anything is added to ``netlist``.
    """
    if not isinstance(config, CrossbarConfig):
        raise ParameterError(f"config must be a CrossbarConfig, not {type(config).__name__}")
    if not isinstance(prefix, str) or (prefix and not _PREFIX_RE.fullmatch(prefix)):
        raise ParameterError(f"prefix={prefix!r} is not allowed; use letters, digits and '_'")
    rows, cols = config.shape
    shape = getattr(cells, "shape", None)
    if tuple(shape or ()) != (rows, cols):
        raise ParameterError(f"cells have shape {shape!r} but the crossbar is {rows} × {cols} (rows × cols)")
    word_ends = _word_terminations(config, inputs_V, word_lines)
    bit_ends = _line_terminations(bit_lines, count=cols, two=config.sink == "both", what="bit_lines",
                                  default=GROUND)

    p = prefix.lower()
    word_merged = config.r_word_ohm == 0
    bit_merged = config.r_bit_ohm == 0
    word_nodes = (np.repeat(np.array([f"{p}wl{i}" for i in range(rows)], dtype=object)[:, None], cols, axis=1)
                  if word_merged else node_grid(f"{p}w", rows, cols))
    bit_nodes = (np.repeat(np.array([f"{p}bb{j}" for j in range(cols)], dtype=object)[None, :], rows, axis=0)
                 if bit_merged else node_grid(f"{p}b", rows, cols))

    items: list[object] = []
    word_sources = _sources(items, word_ends, merged=word_merged, prefix=p, tags=("wl", "wr"), what="word line")
    bit_sources = _sources(items, bit_ends, merged=bit_merged, prefix=p, tags=("bb", "bt"), what="bit line")
    if not word_merged:
        items.append(_word_segments(config, word_nodes, word_ends, p))
    if not bit_merged:
        items.append(_bit_segments(config, bit_nodes, bit_ends, p))
    site = CellSite(prefix=p, word_nodes=word_nodes, bit_nodes=bit_nodes)
    cell_items = list(cells.elements(site))
    if config.line_capacitance_f > 0:
        for tag, nodes in (("cw", word_nodes), ("cb", bit_nodes)):
            names = node_grid(f"{p}{tag}", rows, cols).ravel()
            items.append(CapacitorArray(names, nodes.ravel(), ["0"] * nodes.size, config.line_capacitance_f))
    cells.definitions(netlist)
    netlist.add(*items)
    netlist.add(*cell_items)
    return CrossbarNodes(config=config, prefix=p, word_nodes=word_nodes.astype(str), bit_nodes=bit_nodes.astype(str),
                         word_sources=word_sources, bit_sources=bit_sources)


def _word_terminations(config: CrossbarConfig, inputs_V: object, word_lines: object) -> list[tuple[Termination, ...]]:
    if (inputs_V is None) == (word_lines is None):
        raise ParameterError("give exactly one of inputs_V (DC voltages, shape (rows,)) or word_lines "
                             "(one termination per row)")
    if inputs_V is not None:
        try:
            voltages = np.asarray(inputs_V, dtype=np.float64)
        except (TypeError, ValueError):
            raise ParameterError(f"inputs_V must be numbers (V), not {type(inputs_V).__name__}") from None
        if voltages.shape != (config.rows,):
            raise ParameterError(f"inputs_V has shape {voltages.shape}; the crossbar has {config.rows} rows, "
                                 f"so it must be ({config.rows},)")
        if not np.isfinite(voltages).all():
            index = int(np.argmax(~np.isfinite(voltages)))
            raise ParameterError(
                f"inputs_V[{index}]={float(voltages[index])!r} is not allowed; inputs must be finite (V)")
        word_lines = [Source(Dc(float(v))) for v in voltages]
    return _line_terminations(word_lines, count=config.rows, two=config.drive == "both", what="word_lines",
                              default=None)


def _line_terminations(lines: object, *, count: int, two: bool, what: str,
                       default: Termination | None) -> list[tuple[Termination, ...]]:
    if lines is None:
        lines = [default] * count
    lines = list(lines)  # type: ignore[arg-type]
    if len(lines) != count:
        raise ParameterError(f"{what} has {len(lines)} entries for {count} lines")
    ends = []
    for index, line in enumerate(lines):
        pair = tuple(line) if isinstance(line, (tuple, list)) else (line,) * (2 if two else 1)
        if len(pair) != (2 if two else 1):
            raise ParameterError(f"{what}[{index}] gives {len(pair)} ends; this crossbar has {2 if two else 1} "
                                 f"driven end(s) per line ({'a pair' if two else 'one termination'})")
        for end in pair:
            if not isinstance(end, (Source, Floating, External)):
                raise ParameterError(f"{what}[{index}]={line!r}: each end must be Source(...), Floating() "
                                     "or External()")
        ends.append(pair)
    return ends


def _sources(items: list[object], ends: list[tuple[Termination, ...]], *, merged: bool, prefix: str,
             tags: tuple[str, str], what: str) -> tuple[tuple[str | None, str | None], ...]:
    names: list[tuple[str | None, str | None]] = []
    for line, pair in enumerate(ends):
        written: list[str | None] = [None, None]
        driven = [(k, end) for k, end in enumerate(pair) if isinstance(end, Source)]
        if merged and len(driven) == 2:
            if driven[0][1] != driven[1][1]:
                raise ParameterError(f"{what} {line}: with zero wire resistance both ends are one node, so they "
                                     "cannot have different sources; give both ends the same Source or one Floating()")
            driven = driven[:1]
        for k, end in driven:
            node = f"{prefix}{tags[0]}{line}" if merged else f"{prefix}{tags[k]}{line}"
            source = VoltageSource(f"{prefix}{tags[k]}{line}", node, "0", end.waveform)
            items.append(source)
            written[k] = element_name(source.name, "V").lower()
        names.append((written[0], written[1]))
    return tuple(names)


def _word_segments(config: CrossbarConfig, nodes: np.ndarray, ends: list[tuple[Termination, ...]],
                   p: str) -> ResistorArray:
    rows, cols = config.shape
    left = np.array([isinstance(pair[0], (Source, External)) for pair in ends])
    right = np.array([config.drive == "both" and isinstance(pair[-1], (Source, External)) for pair in ends])
    # Segment k of row i joins node k-1 to node k (node -1: left end, node cols: right end).
    names = node_grid(f"{p}sw", rows, cols + 1)
    a = np.empty((rows, cols + 1), dtype=object)
    b = np.empty((rows, cols + 1), dtype=object)
    a[:, 0] = [f"{p}wl{i}" for i in range(rows)]
    a[:, 1:] = nodes
    b[:, :cols] = nodes
    b[:, cols] = [f"{p}wr{i}" for i in range(rows)]
    keep = np.ones((rows, cols + 1), dtype=bool)
    keep[:, 0] = left
    keep[:, cols] = right
    return ResistorArray(names[keep], a[keep], b[keep], config.r_word_ohm)


def _bit_segments(config: CrossbarConfig, nodes: np.ndarray, ends: list[tuple[Termination, ...]],
                  p: str) -> ResistorArray:
    rows, cols = config.shape
    bottom = np.array([isinstance(pair[0], (Source, External)) for pair in ends])
    top = np.array([config.sink == "both" and isinstance(pair[-1], (Source, External)) for pair in ends])
    # Segment k of column j joins node k-1 to node k (node -1: top end, node rows: bottom end).
    names = node_grid(f"{p}sb", rows + 1, cols)
    a = np.empty((rows + 1, cols), dtype=object)
    b = np.empty((rows + 1, cols), dtype=object)
    a[0, :] = [f"{p}bt{j}" for j in range(cols)]
    a[1:, :] = nodes
    b[:rows, :] = nodes
    b[rows, :] = [f"{p}bb{j}" for j in range(cols)]
    keep = np.ones((rows + 1, cols), dtype=bool)
    keep[0, :] = top
    keep[rows, :] = bottom
    return ResistorArray(names[keep], a[keep], b[keep], config.r_bit_ohm)
