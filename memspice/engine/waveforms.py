"""Simulation results as one table per run, with column names that say the unit.

Column naming (the same for every backend)
-----------------------------------------
One row per simulated point; values are SI floats.

* Scale column, first: ``time_s`` for ``.tran``; for ``.dc`` ``sweep_V`` (voltage source
  swept) or ``sweep_A`` (current source swept), ``sweep_degC`` for a ``TEMP`` sweep and
  ``sweep_ohm`` for a resistor sweep. ``.op`` has no scale column and exactly one row.
* Node voltages: ``v(<node>)_V`` with the node name lower-case, exactly as ngspice names
  it, including subcircuit-internal nodes: ``v(a)_V``, ``v(x1.xstate)_V``.
* Branch currents of voltage sources (and other branch devices such as inductors):
  ``i(<source>)_A``. ngspice's ``v1#branch`` becomes ``i(v1)_A``. Inside subcircuits ngspice
  39 prefixes the device letter (``v.x1.vsense#branch``); memspice drops that prefix and
  writes the hierarchical name as it appears in the netlist: ``i(x1.vsense)_A``.
* Other saved vectors keep ngspice's name with the unit of their type appended, e.g.
  ``@r1[i]_A``.
* Order: scale, then voltages, then currents, then anything else, each group sorted by name.

VACASK results get the same names (:func:`vacask_vector` translates VACASK's vector names
before the columns are named; the VACASK dialect lower-cases every name and keeps each
instance's ngspice name, ``Xm1`` -> ``xm1``):

==========================  =================  ========================================
VACASK raw-file vector      column             what it is
==========================  =================  ========================================
``time``                    ``time_s``         tran scale
``memspice_sweep`` (sweep)  ``sweep_V``/``_A`` dc scale (swept vsource / isource)
``a``                       ``v(a)_V``         node voltage
``xm1:xstate``              ``v(xm1.xstate)_V`` internal node of instance xm1 (subcircuit
                                               or Verilog-A module)
``v1:flow(br)``             ``i(v1)_A``        branch current of a source (or inductor)
``x1:vsense:flow(br)``      ``i(x1.vsense)_A`` the same inside subcircuit instance x1
``r1.i`` (``p(r1,i)``)      ``r1.i``           any other saved output, name unchanged
==========================  =================  ========================================

:meth:`Waveforms.column` also accepts the short forms ``time``, ``sweep``, ``v(a)``,
``i(v1)``, ngspice's ``v1#branch`` and ``i(v.x1.vsense)``, case-insensitively.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Sequence

import numpy as np

if TYPE_CHECKING:  # pandas is imported when a result is built, not when memspice is imported
    import pandas as pd

Analysis = Literal["tran", "dc", "op"]

#: SI unit suffix of each ngspice vector type (raw-file type names).
UNIT_OF_KIND: dict[str, str] = {
    "time": "s",
    "voltage": "V",
    "current": "A",
    "frequency": "Hz",
    "temp-sweep": "degC",
    "res-sweep": "ohm",
    "impedance": "ohm",
    "admittance": "S",
    "power": "W",
    "capacitance": "F",
    "charge": "C",
}

#: ngspice's ``enum simulation_types`` (src/include/ngspice/sim.h), as ``ngGet_Vec_Info``
#: reports ``v_type``, mapped to the type names ngspice writes in raw files.
KIND_OF_TYPE_CODE: dict[int, str] = {
    0: "notype",
    1: "time",
    2: "frequency",
    3: "voltage",
    4: "current",
    14: "temp-sweep",
    15: "res-sweep",
    16: "impedance",
    17: "admittance",
    18: "power",
    21: "capacitance",
    22: "charge",
}

_WRAPPED_RE = re.compile(r"^([vi])\((.*)\)$")
_GROUP_ORDER = {"v": 1, "i": 2}


@dataclass(frozen=True)
class EngineVector:
    """One vector as a backend hands it to the runner, before renaming.

    ``name`` is ngspice's spelling (``a``, ``v(a)``, ``v1#branch``, ``i(v1)``, ``time``),
    ``kind`` the raw-file type name (``time``, ``voltage``, ``current``), ``values`` the
    samples in SI units, shape ``(points,)``.
    """

    name: str
    kind: str
    values: np.ndarray


@dataclass(frozen=True, eq=False)
class VectorTable:
    """All vectors of one plot as one block, as a raw file holds them.

    ``names`` in ngspice's spelling and ``kinds`` the raw-file type names, one per column of
    ``data`` (shape ``(points, vectors)``). Backends that read a raw file hand this over
    instead of one :class:`EngineVector` per vector: a 512×512 crossbar has 526,000 vectors.
    """

    names: list[str]
    kinds: list[str]
    data: np.ndarray


@dataclass(frozen=True)
class EngineOutput:
    """What a backend produced for one run, before the runner judges it.

    ``vectors`` are those of the result plot (empty if there is none), ``log_lines`` ngspice's
    messages in order, ``failure`` a reason phrased after "ngspice ..." when the backend
    itself saw the run fail (exit status, timeout, fatal error), else None. ``version`` is
    e.g. ``"ngspice-39"``.
    """

    vectors: list[EngineVector]
    log_lines: list[str]
    failure: str | None
    version: str
    #: Seconds spent in the simulator proper (reading the netlist and solving), without
    #: collecting the results; None when the backend did not measure it.
    simulate_s: float | None = None
    #: The result as one block (then ``vectors`` is empty), see :class:`VectorTable`.
    table: VectorTable | None = None


class ColumnNotFoundError(KeyError):
    """A requested column is not in the result; the message lists the available ones."""

    def __str__(self) -> str:  # KeyError would show the message with quotes around it
        return str(self.args[0])


@dataclass(frozen=True, eq=False)
class Waveforms:
    """The result of one ngspice run.

    Attributes
    ----------
    data:
        One row per point, columns named as described in the module docstring (SI units).
    analysis:
        ``"tran"``, ``"dc"`` or ``"op"``.
    netlist_text:
        The netlist exactly as simulated.
    netlist_path:
        Where the netlist was written. It is deleted with the temporary work directory after
        a successful run unless ``workdir`` was given to :func:`memspice.engine.run`.
    engine_version:
        The simulator that ran and its version, e.g. ``"ngspice-39"`` or, for the VACASK
        backend, ``"vacask-0.3.4.dev3"``.
    wall_time_s:
        Wall-clock time of the simulation and result parsing, in seconds.
    backend:
        ``"shared"``, ``"subprocess"`` or ``"vacask"`` (also after ``backend="auto"``: the
        one that ran).
    simulate_time_s:
        The part of ``wall_time_s`` spent in the simulator itself (ngspice reading the netlist
        and solving; for the process backends the simulator process), None if not measured.
    parse_time_s:
        The rest of ``wall_time_s``: reading the results (raw file or shared-library vectors)
        into this table.
    osdi_models:
        For a VACASK run, the :class:`~memspice.netlist.OsdiModel` s of the netlist (their
        compiled modules are what ``netlist_text`` loads); empty otherwise.
    """

    data: pd.DataFrame
    analysis: Analysis
    netlist_text: str
    netlist_path: Path
    engine_version: str
    wall_time_s: float
    backend: str
    simulate_time_s: float | None = None
    parse_time_s: float | None = None
    osdi_models: tuple[Any, ...] = ()

    @property
    def netlist_suffix(self) -> str:
        """``.sim`` for a VACASK run, ``.cir`` for ngspice: how a saved copy of its netlist is named."""
        return ".sim" if self.backend == "vacask" else ".cir"

    @property
    def columns(self) -> tuple[str, ...]:
        """All column names, in table order."""
        return tuple(self.data.columns)

    @functools.cached_property
    def _index(self) -> dict[str, int]:
        """Column name -> position, built once: a 64×64 write has 12,000 columns and its
        post-processing looks up every one of them."""
        return {name: k for k, name in enumerate(self.data.columns)}

    @functools.cached_property
    def _values(self) -> np.ndarray:
        """The table as one float64 array of shape ``(points, columns)`` (a view of the frame's
        block when it is one float64 block, as the runner builds it)."""
        return self.data.to_numpy(dtype=np.float64, copy=False)

    def has_column(self, name: str) -> bool:
        """True when :meth:`column` finds ``name`` (a full column name or a short form)."""
        return self._find(name) is not None

    def column(self, name: str) -> np.ndarray:
        """Return a copy of one column as a float array of shape ``(points,)``.

        ``name`` is a full column name (``v(a)_V``) or a short form (``v(a)``, ``i(v1)``,
        ``time``, ``sweep``, ``v1#branch``); matching ignores case. The lookup is a dict
        access (O(1) in the number of columns).

        Raises
        ------
        ColumnNotFoundError
            (a ``KeyError``) naming ``name`` and listing the available columns.
        """
        return self._values[:, self._resolve(name)].copy()

    def columns_array(self, names: Sequence[str], *, point: int | None = None) -> np.ndarray:
        """Several columns at once: shape ``(points, len(names))``, or ``(len(names),)`` at one
        ``point`` (an index into the rows, ``-1`` the last). ``names`` are full column names or
        short forms as for :meth:`column`; one fancy index into the table, no per-column copy.

        Raises
        ------
        ColumnNotFoundError
            naming how many of ``names`` are missing and the first few of them.
        """
        index = self._index
        positions = [index.get(name) for name in names]
        if None in positions:
            positions = [k if k is not None else self._find(name) for k, name in zip(positions, names)]
            missing = [name for k, name in zip(positions, names) if k is None]
            if missing:
                raise ColumnNotFoundError(
                    f"{len(missing)} of {len(names)} requested column(s) are not in this {self.analysis} "
                    f"result, e.g. " + ", ".join(repr(m) for m in missing[:5]))
        values = self._values
        if point is None:
            return values[:, positions]
        return values[point, positions]

    def family(self, names: np.ndarray | Sequence[Sequence[str]], *, point: int | None = None) -> np.ndarray:
        """A family of vectors as one array: for a grid of column names of shape ``S`` (e.g. the
        ``(rows, cols)`` state nodes of an array written as ``v(<node>)_V``), the values of shape
        ``(points, *S)``, or ``S`` at one ``point``. Errors as :meth:`columns_array`."""
        grid = np.asarray(names, dtype=object)
        values = self.columns_array(grid.ravel().tolist(), point=point)
        return values.reshape(values.shape[:-1] + grid.shape)

    def _resolve(self, name: str) -> int:
        position = self._find(name)
        if position is None:
            raise ColumnNotFoundError(
                f"no column {name!r} in this {self.analysis} result; available columns: "
                + ", ".join(self.data.columns)
            )
        return position

    def _find(self, name: str) -> int | None:
        """Position of the column ``name`` names (full name or short form), None if none does."""
        index = self._index
        query = name.strip()
        if query in index:
            return index[query]
        lowered = re.sub(r"_(v|a|s)$", "", query.lower())  # "V(A)_V" -> "v(a)"
        for candidate in (lowered, column_name(lowered, _kind_from_spelling(lowered))):
            if candidate in index:
                return index[candidate]
        if lowered in ("time", "sweep"):
            for column, position in index.items():
                if column.startswith(lowered + "_"):
                    return position
        return None


def column_name(ngspice_name: str, kind: str) -> str:
    """Turn one ngspice vector name into a memspice column name (see the module docstring).

    Accepts both spellings ngspice uses: the raw file's (``v(a)``, ``i(v1)``) and the shared
    library's (``a``, ``v1#branch``). Scale vectors are named by :func:`scale_column_name`.
    """
    name = ngspice_name.lower()
    unit = UNIT_OF_KIND.get(kind, "")
    if name.endswith("#branch"):
        return f"i({_hierarchical_device_name(name[: -len('#branch')])})_A"
    wrapped = _WRAPPED_RE.match(name)
    if wrapped:
        letter, inner = wrapped.groups()
        if inner.startswith("@"):  # the raw file writes a device current as i(@r1[i])
            return f"{inner}_{'A' if letter == 'i' else 'V'}"
        if letter == "i":
            return f"i({_hierarchical_device_name(inner)})_A"
        return f"v({inner})_V"
    if name.startswith("@"):
        return f"{name}_{unit}" if unit else name
    if kind == "voltage":
        return f"v({name})_V"
    if kind == "current":
        return f"i({_hierarchical_device_name(name)})_A"
    return f"{name}_{unit}" if unit else name


def scale_column_name(analysis: Analysis, kind: str) -> str:
    """Name of the scale column: ``time_s`` for tran, ``sweep_<unit>`` for dc."""
    if analysis == "tran":
        return "time_s"
    return f"sweep_{UNIT_OF_KIND.get(kind, kind)}"


def is_scale_vector(ngspice_name: str, analysis: Analysis) -> bool:
    """True for the vector ngspice uses as the plot's scale (``time``, ``v-sweep``, ...)."""
    name = ngspice_name.lower()
    wrapped = _WRAPPED_RE.match(name)
    if wrapped:  # the raw file writes the dc scale as v(v-sweep) / i(i-sweep)
        name = wrapped.group(2)
    if analysis == "tran":
        return name == "time"
    if analysis == "dc":
        return name.endswith("-sweep")
    return False


def vacask_vector(vacask_name: str, analysis: Analysis, *, sweep_name: str | None = None,
                  sweep_kind: str = "notype") -> tuple[str, str]:
    """Translate one VACASK raw-file vector into ngspice's spelling: ``(name, kind)``.

    VACASK writes every vector with type ``notype``; the type is read from the name
    (table in the module docstring): ``n1:x`` -> ``("v(n1.x)", "voltage")``,
    ``v1:flow(br)`` -> ``("i(v1)", "current")``, ``time`` -> the tran scale, the dc sweep
    ``sweep_name`` -> ``v-sweep``/``i-sweep`` by ``sweep_kind`` (``"voltage"``/``"current"``).
    """
    if analysis == "tran" and vacask_name == "time":
        return "time", "time"
    if analysis == "dc" and vacask_name == sweep_name:
        letter = {"voltage": "v", "current": "i"}.get(sweep_kind, "x")
        return f"{letter}-sweep", sweep_kind
    if vacask_name.endswith(":flow(br)"):
        return f"i({vacask_name[: -len(':flow(br)')].replace(':', '.')})", "current"
    if "." in vacask_name or "(" in vacask_name:  # an instance's output variable, e.g. r1.i
        return vacask_name, "notype"
    return f"v({vacask_name.replace(':', '.')})", "voltage"


def build_frame(vectors: list[EngineVector], analysis: Analysis) -> pd.DataFrame:
    """Rename and order the vectors of one plot into a DataFrame (one row per point)."""
    import pandas as pd

    points = min((v.values.shape[0] for v in vectors), default=0)
    scale: dict[str, np.ndarray] = {}
    columns: dict[str, np.ndarray] = {}
    for vector in vectors:
        values = vector.values[:points]
        if analysis != "op" and is_scale_vector(vector.name, analysis):
            scale[scale_column_name(analysis, vector.kind)] = values
            continue
        raw = vector.name
        if vector.kind == "voltage" and raw[:2] == "v(" and raw[-1:] == ")" and raw[2:3] != "@":
            name = raw.lower() + "_V"  # what column_name() gives for v(node), without its regexes
        else:
            name = column_name(raw, vector.kind)
        if name in columns:  # two ngspice names mapped to one column: keep ngspice's own
            name = f"{vector.name.lower()}_{UNIT_OF_KIND.get(vector.kind, '')}".rstrip("_")
        columns[name] = values
    ordered = {**scale, **{k: columns[k] for k in sorted(columns, key=_column_sort_key)}}
    if ordered and all(values.dtype == np.float64 for values in ordered.values()):
        # One 2-D block: a dict of 33,000 one-row columns (a 128x128 crossbar's .op) takes
        # pandas seconds to assemble, the stacked array milliseconds.
        return pd.DataFrame(np.column_stack(list(ordered.values())), columns=list(ordered))
    return pd.DataFrame(ordered)


def frame_of_output(output: EngineOutput, analysis: Analysis) -> pd.DataFrame:
    """The result table of a backend's output (its :class:`VectorTable` or its vectors)."""
    if output.table is None:
        return build_frame(output.vectors, analysis)
    return build_frame_from_table(output.table, analysis)


def build_frame_from_table(table: VectorTable, analysis: Analysis) -> pd.DataFrame:
    """:func:`build_frame` for a :class:`VectorTable`: the same columns, in the same order,
    named with list comprehensions and ordered by one numpy sort instead of per-vector code."""
    import pandas as pd

    names, kinds = table.names, table.kinds
    scale = [k for k, name in enumerate(names) if analysis != "op" and is_scale_vector(name, analysis)]
    columns = [
        name.lower() + "_V" if kind == "voltage" and name[:2] == "v(" and name[-1:] == ")" and name[2:3] != "@"
        else column_name(name, kind)
        for name, kind in zip(names, kinds)
    ]
    rest = np.setdiff1d(np.arange(len(names)), scale)
    labels = np.array([columns[k] for k in rest], dtype=str) if len(rest) else np.array([], dtype=str)
    if len(set(labels.tolist())) != len(labels):  # two names map to one column: the general path
        vectors = [EngineVector(name=name, kind=kind, values=table.data[:, k])
                   for k, (name, kind) in enumerate(zip(names, kinds))]
        return build_frame(vectors, analysis)
    groups = np.array([_column_sort_key(label)[0] for label in labels.tolist()], dtype=np.int64)
    order = rest[np.lexsort((labels, groups))] if len(rest) else rest
    picked = list(scale[:1]) + order.tolist()
    header = [scale_column_name(analysis, kinds[scale[0]])] if scale else []
    header += [columns[k] for k in order.tolist()]
    return pd.DataFrame(np.ascontiguousarray(table.data[:, picked], dtype=np.float64), columns=header)


def _column_sort_key(column: str) -> tuple[int, str]:
    group = _GROUP_ORDER.get(column[0], 3) if column[1:2] == "(" else 3
    return group, column


def _kind_from_spelling(name: str) -> str:
    """Guess the vector type of a short column name from its ``v(...)``/``i(...)`` letter."""
    if name.startswith("i(") or name.endswith("#branch"):
        return "current"
    if name.startswith("v("):
        return "voltage"
    return "notype"


def _hierarchical_device_name(name: str) -> str:
    """``v.x1.vsense`` -> ``x1.vsense``: drop the device letter ngspice 39 puts in front of
    devices inside subcircuits, so the name reads as written in the netlist."""
    parts = name.split(".")
    letter = parts[0]
    if len(parts) >= 3 and len(letter) == 1 and parts[1].startswith("x") and parts[-1].startswith(letter):
        return ".".join(parts[1:])
    return name
