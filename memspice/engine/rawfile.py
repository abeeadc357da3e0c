"""Reader for ngspice's binary raw file (``ngspice -b -r out.raw net.cir``).

Layout written by ngspice 39 (one plot per analysis, plots back to back)::

    Title: <first netlist line>
    Date: <date>
    Plotname: Transient Analysis
    Flags: real
    No. Variables: 4
    No. Points: 2011            <- rewritten in place when the run finishes
    Variables:
            0       time    time
            1       v(a)    voltage
            2       v(x)    voltage
            3       i(v1)   current
    Binary:
    <No. Points rows of No. Variables little-endian float64 values>

Vector names are ngspice's raw-file spelling: node voltages ``v(<node>)``, branch currents
``i(<source>)``, the dc sweep ``v(v-sweep)`` / ``i(i-sweep)``. The runner turns them into
memspice column names (see :mod:`memspice.engine.waveforms`).

An aborted run (e.g. "Timestep too small") leaves ``No. Points: 0`` in the header while the
rows written so far follow ``Binary:``; the reader then counts the complete rows from the
file size and reports them in :attr:`RawPlot.points_complete`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from memspice.errors import MemspiceError

_BINARY_MARKER = b"Binary:\n"
_ASCII_MARKER = b"Values:\n"
_FLOAT64_BYTES = 8


class RawFileError(MemspiceError, ValueError):
    """A raw file is not a readable ngspice binary raw file (or holds complex data)."""


class RawVariable(NamedTuple):
    """One vector declared in a raw-file header (a named tuple: a 512×512 crossbar's raw
    file declares 526,000 of them, which a frozen dataclass takes seconds to build).

    Attributes
    ----------
    index:
        Column position in each data row (0 is the scale for tran and dc).
    name:
        ngspice's name, e.g. ``time``, ``v(a)``, ``i(v1)``.
    kind:
        ngspice's quantity type: ``time``, ``voltage``, ``current``, ...
    """

    index: int
    name: str
    kind: str


@dataclass(frozen=True, eq=False)
class RawPlot:
    """One plot (analysis result) of a raw file.

    Attributes
    ----------
    title, date, plotname, flags:
        The header fields as written by ngspice (``plotname`` e.g. ``Transient Analysis``).
    variables:
        The declared vectors, in column order.
    data:
        Array of shape ``(points_complete, len(variables))``, SI units (s, V, A).
    points_declared:
        ``No. Points`` from the header; 0 when ngspice aborted before rewriting it.
    """

    title: str
    date: str
    plotname: str
    flags: str
    variables: tuple[RawVariable, ...]
    data: np.ndarray
    points_declared: int

    @property
    def points_complete(self) -> int:
        """Number of complete rows actually present in the file."""
        return int(self.data.shape[0])

    @property
    def truncated(self) -> bool:
        """True when the file holds fewer (or, for an aborted run, other) rows than declared."""
        return self.points_complete != self.points_declared

    def column(self, name: str) -> np.ndarray:
        """The values of vector ``name`` (ngspice spelling), shape ``(points_complete,)``."""
        for variable in self.variables:
            if variable.name == name:
                return self.data[:, variable.index]
        known = ", ".join(v.name for v in self.variables)
        raise KeyError(f"raw file has no vector {name!r}; it has: {known}")


def read_rawfile(path: Path | str) -> list[RawPlot]:
    """Read every plot of an ngspice binary raw file.

    Raises
    ------
    RawFileError
        naming the file when its header cannot be parsed, it is an ASCII raw file, or a plot
        holds complex data (ac/noise analyses are not supported).
    """
    path = Path(path)
    content = path.read_bytes()
    try:
        return parse_rawfile(content)
    except RawFileError as exc:
        raise RawFileError(f"{path}: {exc}") from None


def parse_rawfile(content: bytes) -> list[RawPlot]:
    """Parse the bytes of a binary raw file into its plots (see :func:`read_rawfile`)."""
    plots: list[RawPlot] = []
    offset = 0
    while offset < len(content):
        plot, offset = _parse_plot(content, offset)
        plots.append(plot)
    if not plots:
        raise RawFileError("the raw file is empty (ngspice wrote no plot)")
    return plots


def _parse_plot(content: bytes, offset: int) -> tuple[RawPlot, int]:
    """Parse one plot starting at ``offset``; return it and the offset just after its data."""
    marker_at = content.find(_BINARY_MARKER, offset)
    if marker_at < 0:
        if content.find(_ASCII_MARKER, offset) >= 0:
            raise RawFileError("this is an ASCII raw file; memspice reads binary raw files only "
                               "(unset SPICE_ASCIIRAWFILE and 'set filetype=ascii')")
        raise RawFileError("no 'Binary:' line after the header (file cut short?)")
    header = _parse_header(content[offset:marker_at].decode("utf-8", errors="replace"))
    if "complex" in header.flags.split():
        raise RawFileError(f"plot {header.plotname!r} holds complex data; only real "
                           "analyses (tran, dc, op) are supported")

    data_start = marker_at + len(_BINARY_MARKER)
    row_bytes = len(header.variables) * _FLOAT64_BYTES
    rows_available = (len(content) - data_start) // row_bytes
    # A finished run declares its row count; an aborted one leaves 0 (or, if the file was cut,
    # more than is present) and the rows that made it to disk are all we have.
    if 0 < header.points_declared <= rows_available:
        rows = header.points_declared
    else:
        rows = rows_available
    data = np.frombuffer(content, dtype="<f8", count=rows * len(header.variables), offset=data_start)
    plot = RawPlot(
        title=header.title,
        date=header.date,
        plotname=header.plotname,
        flags=header.flags,
        variables=header.variables,
        data=data.reshape(rows, len(header.variables)).astype(np.float64, copy=True),
        points_declared=header.points_declared,
    )
    if rows != header.points_declared:  # an aborted run ends the file; a partial row may follow
        return plot, len(content)
    return plot, data_start + rows * row_bytes


@dataclass(frozen=True)
class _Header:
    title: str
    date: str
    plotname: str
    flags: str
    points_declared: int
    variables: tuple[RawVariable, ...]


def _parse_header(text: str) -> _Header:
    """Parse the ``Key: value`` lines and the ``Variables:`` table of one plot header."""
    fields: dict[str, str] = {}
    lines = text.splitlines()
    variables: list[RawVariable] = []
    for number, line in enumerate(lines):
        key, _, value = line.partition(":")
        if key.strip() == "Variables":
            variables = _parse_variables(lines[number + 1:])
            break
        fields[key.strip()] = value.strip()
    try:
        n_variables = int(fields["No. Variables"])
        n_points = int(fields["No. Points"])
    except (KeyError, ValueError) as exc:
        raise RawFileError(
            f"header lacks a valid 'No. Variables' / 'No. Points' line ({exc})"
        ) from None
    if len(variables) != n_variables or n_variables == 0:
        raise RawFileError(f"header declares {n_variables} variables but lists {len(variables)}")
    return _Header(
        title=fields.get("Title", ""),
        date=fields.get("Date", ""),
        plotname=fields.get("Plotname", ""),
        flags=fields.get("Flags", "real"),
        points_declared=n_points,
        variables=tuple(variables),
    )


def _parse_variables(lines: list[str]) -> list[RawVariable]:
    """Parse ``<index> <name> <type> [extra fields]`` lines."""
    rows = [line for line in lines if line.strip()]
    tokens = "\n".join(rows).split()
    # Fast path for the usual three fields per line (a 512x512 crossbar has 526,000 vectors).
    # Each line's index is its position, so an odd line would show as an index out of order.
    if len(tokens) == 3 * len(rows) and tokens[0::3] == [str(k) for k in range(len(rows))]:
        return list(map(RawVariable, range(len(rows)), tokens[1::3], tokens[2::3]))
    variables = []
    for line in rows:
        parts = line.split()
        if len(parts) < 3 or not parts[0].isdigit():
            raise RawFileError(f"cannot read the variable line {line!r}")
        variables.append(RawVariable(index=int(parts[0]), name=parts[1], kind=parts[2]))
    return variables
