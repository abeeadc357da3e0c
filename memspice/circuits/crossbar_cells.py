"""What sits at each cross-point of a crossbar: the cell-array protocol and two implementations.

:func:`memspice.circuits.crossbar.add_crossbar` wires the lines and asks a
:class:`CellArray` for the cells, in two steps:

1. ``definitions(netlist)`` defines what the cells instantiate (subcircuits, their
   Verilog-A twins for VACASK), once;
2. ``elements(site)`` returns netlist items for all cells at once, given a :class:`CellSite`:
   the word-line and bit-line node of every cross-point and a name generator. Write bulk
   elements (:class:`~memspice.netlist.ResistorArray`, :class:`~memspice.netlist.InstanceArray`)
   rather than one object per cell: a 512×512 array has 262,144 cells.

A cell joins ``site.word_nodes[i, j]`` (positive side) to ``site.bit_nodes[i, j]``. Cells
that need nodes of their own (the middle node of a selector + memristor, a transistor's
gate) name them with ``site.names(tag)``: ``<prefix><tag><i>_<j>``, where ``tag`` is letters
only and not one the crossbar uses itself (:data:`RESERVED_TAGS`); a cell array may also
add sources of its own (a gate line per row) among its elements.

Implemented here: :class:`FixedConductanceCells` (one resistor per cell, for read studies)
and :class:`MemristorCells` (one catalog memristor per cell, each with its own initial
state). Selector and transistor cells (1S1R, 1T1R) implement the same protocol elsewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, Sequence, runtime_checkable

import numpy as np

from memspice.errors import ParameterError
from memspice.netlist import InstanceArray, Netlist, ResistorArray
from memspice.spicelib.catalog import MemristorModel, ParamValue, memristor_subcircuit

#: Name tags the crossbar itself uses for nodes and elements (see :mod:`memspice.circuits.crossbar`).
RESERVED_TAGS = frozenset({"w", "b", "wl", "wr", "bb", "bt", "sw", "sb", "cw", "cb"})
_TAG_RE = re.compile(r"[A-Za-z]+")


def node_grid(stem: str, rows: int, cols: int) -> np.ndarray:
    """``(rows, cols)`` object array of names ``<stem><i>_<j>``."""
    names = [f"{stem}{i}_{j}" for i in range(rows) for j in range(cols)]
    return np.array(names, dtype=object).reshape(rows, cols)


@dataclass(frozen=True, eq=False)
class CellSite:
    """Where the cells go: the two nodes of every cross-point and a name generator.

    Attributes
    ----------
    prefix:
        The crossbar's name prefix (lower-case).
    word_nodes, bit_nodes:
        ``(rows, cols)`` arrays of node names; cell (i, j) joins ``word_nodes[i, j]`` to
        ``bit_nodes[i, j]``.
    """

    prefix: str
    word_nodes: np.ndarray
    bit_nodes: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.word_nodes.shape  # type: ignore[return-value]

    def names(self, tag: str) -> np.ndarray:
        """``(rows, cols)`` names ``<prefix><tag><i>_<j>`` for cell elements or cell-internal nodes.

        ``tag`` is letters only (so names cannot collide across tags), not in :data:`RESERVED_TAGS`.
        """
        if not isinstance(tag, str) or not _TAG_RE.fullmatch(tag) or tag.lower() in RESERVED_TAGS:
            raise ParameterError(f"cell name tag {tag!r} is not allowed; use letters only, not one of "
                                 + ", ".join(sorted(RESERVED_TAGS)))
        return node_grid(f"{self.prefix}{tag.lower()}", *self.shape)


@runtime_checkable
class CellArray(Protocol):
    """The cells of a crossbar (see the module docstring)."""

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)``."""
        ...

    def definitions(self, netlist: Netlist) -> None:
        """Define the subcircuits / Verilog-A twins the cells use (idempotent)."""
        ...

    def elements(self, site: CellSite) -> Sequence[object]:
        """Netlist items (bulk elements preferred) for every cell of ``site``."""
        ...


def _matrix(values: object, *, what: str, unit: str, shape: tuple[int, int] | None = None) -> np.ndarray:
    """A finite 2-D float array, read-only; ParameterError naming ``what`` otherwise."""
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"{what} must be a 2-D array of numbers ({unit}), not {type(values).__name__}") from None
    if array.ndim != 2 or 0 in array.shape:
        raise ParameterError(f"{what} must be a non-empty 2-D array (rows × cols), got shape {array.shape}")
    if shape is not None and array.shape != shape:
        raise ParameterError(f"{what} has shape {array.shape}; expected {shape} (rows × cols)")
    if not np.isfinite(array).all():
        index = tuple(int(k) for k in np.argwhere(~np.isfinite(array))[0])
        raise ParameterError(
            f"{what}[{index[0]}, {index[1]}]={float(array[index])!r} is not finite; use finite numbers ({unit})")
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class FixedConductanceCells:
    """One linear resistor per cell: ``Rc<i>_<j> w b 1/G[i, j]``.

    ``conductance_S``: ``(rows, cols)`` array (S), every entry finite and > 0.
    """

    conductance_S: np.ndarray

    def __post_init__(self) -> None:
        array = _matrix(self.conductance_S, what="conductance_S", unit="S")
        if (array <= 0).any():
            index = tuple(int(k) for k in np.argwhere(array <= 0)[0])
            raise ParameterError(f"conductance_S[{index[0]}, {index[1]}]={float(array[index])!r} S is not allowed; "
                                 "cell conductances must be > 0 S (a missing cell is a very small conductance)")
        object.__setattr__(self, "conductance_S", array)

    @property
    def shape(self) -> tuple[int, int]:
        return self.conductance_S.shape  # type: ignore[return-value]

    def definitions(self, netlist: Netlist) -> None:
        """Resistors need no definitions."""

    def elements(self, site: CellSite) -> list[ResistorArray]:
        return [ResistorArray(site.names("c").ravel(), site.word_nodes.ravel(), site.bit_nodes.ravel(),
                              1.0 / self.conductance_S.ravel())]


def _check_inside(values: np.ndarray, model: MemristorModel, name: str, *, what: str) -> None:
    """ParameterError naming the first entry of ``values`` outside the range of ``model.name``."""
    parameter = model.parameter(name)
    low, high = parameter.bounds
    bad = (values < low) | (values > high)
    if bad.any():
        index = tuple(int(k) for k in np.argwhere(bad)[0])
        raise ParameterError(f"{what}[{index[0]}, {index[1]}]={float(values[index])!r} is outside the range "
                             f"{parameter.range_text()} of {model.name}.{name}")


@dataclass(frozen=True, eq=False)
class MemristorCells:
    """One catalog memristor per cell, ``Xc<i>_<j> w b <subcircuit> <x0>=state0[i, j]``.

    All cells share the model and its parameter ``values`` (one subcircuit, and in VACASK
    one Verilog-A model line); each starts from its own state ``state0[i, j]``, passed as the
    model's initial-state parameter (``x0`` for hp: an instance parameter of the Verilog-A
    twin, so one model line serves every cell). The pins are the model's ``pos`` (word
    line) and ``neg`` (bit line). Read the array with ``Tran(..., uic=True)``: an ``.op``
    would let the state settle where its rate vanishes, not stay at ``state0``.

    Parameters
    ----------
    model:
        A catalog model (:func:`memspice.spicelib.get_model`).
    state0:
        ``(rows, cols)`` initial states, inside the range of the model's initial-state parameter.
    values:
        Parameter overrides (resolved and range-checked here).
    cell_values:
        Numeric parameters that differ from cell to cell (a device population): name ->
        ``(rows, cols)`` values, each inside the parameter's range; written on every instance
        line (in VACASK as instance parameters of the Verilog-A twin).
    """

    model: MemristorModel
    state0: np.ndarray
    values: Mapping[str, ParamValue] = field(default_factory=dict)
    cell_values: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.model, MemristorModel):
            raise ParameterError(f"model must be a catalog MemristorModel, not {type(self.model).__name__}")
        object.__setattr__(self, "values", self.model.resolve(self.values))
        state = _matrix(self.state0, what="state0", unit=self.model.state_unit or "state")
        _check_inside(state, self.model, self.model.state_initial, what="state0")
        # Cross-parameter rules (e.g. a state inside [g_min, g_max]) checked at both extremes.
        for extreme in (float(state.min()), float(state.max())):
            self.model.resolve({**self.values, self.model.state_initial: extreme})
        object.__setattr__(self, "state0", state)
        per_cell = {}
        for name, given in self.cell_values.items():
            parameter = self.model.parameter(name)
            if parameter.is_choice or name == self.model.state_initial:
                raise ParameterError(f"{self.model.name}.{name} cannot vary per cell (a variant word or the initial state)")
            array = _matrix(given, what=f"cell_values[{name!r}]", unit=parameter.unit or "-")
            if array.shape != state.shape:
                raise ParameterError(f"cell_values[{name!r}] has shape {array.shape}; the array is {state.shape}")
            _check_inside(array, self.model, name, what=f"cell_values[{name!r}]")
            per_cell[name] = array
        object.__setattr__(self, "cell_values", per_cell)

    @classmethod
    def from_conductance(cls, model: MemristorModel, conductance_S: object, *, v_read_V: float,
                         values: Mapping[str, ParamValue] | None = None) -> "MemristorCells":
        """Cells whose read conductance at ``v_read_V`` equals ``conductance_S`` (S, rows × cols);
        see :func:`memspice.spicelib.conductance.state_for_conductance` for the models supported."""
        from memspice.spicelib.conductance import state_for_conductance

        resolved = model.resolve(values or {})
        target = _matrix(conductance_S, what="conductance_S", unit="S")
        return cls(model, state_for_conductance(model, resolved, target, v_read_V=v_read_V), resolved)

    @property
    def shape(self) -> tuple[int, int]:
        return self.state0.shape  # type: ignore[return-value]

    @property
    def subcircuit(self) -> str:
        """Name of the subcircuit (and Verilog-A module) every cell instantiates."""
        return self.model.subcircuit_name(self.values)

    def read_conductance(self, v_read_V: float) -> np.ndarray:
        """Each cell's conductance (S) at ``v_read_V`` in its initial state, from the model equations."""
        from memspice.spicelib.conductance import read_conductance

        return read_conductance(self.model, self.values, self.state0, v_read_V=v_read_V, cell_values=self.cell_values)

    def definitions(self, netlist: Netlist) -> None:
        subcircuit, twin = _memristor_definitions(self.model, self.values, tuple(self.cell_values))
        netlist.define(subcircuit)
        netlist.define_osdi(twin)

    def elements(self, site: CellSite) -> list[InstanceArray]:
        params = {self.model.state_initial: self.state0.ravel(),
                  **{name: values.ravel() for name, values in self.cell_values.items()}}
        return [InstanceArray(site.names("c").ravel(), (site.word_nodes.ravel(), site.bit_nodes.ravel()),
                              self.subcircuit, params)]



#: Rendered subcircuit and Verilog-A twin per (model, parameter values): a co-simulation loop
#: builds one netlist per pulse from the same device, and rendering it took ~5 ms each time.
_DEFINITIONS: dict[tuple[Any, ...], tuple[object, Any, Any]] = {}
_DEFINITIONS_KEPT = 64


def _memristor_definitions(model: MemristorModel, values: Mapping[str, Any],
                           instance_params: tuple[str, ...] = ()) -> tuple[Any, Any]:
    """``(memristor_subcircuit(model, values), osdi_model(model, values, instance_params))``,
    rendered once per model object, parameter values and per-cell parameters (all immutable)."""
    from memspice.spicelib.veriloga import osdi_model

    key = (id(model), tuple(sorted((name, repr(value)) for name, value in values.items())), instance_params)
    cached = _DEFINITIONS.get(key)
    if cached is not None and cached[0] is model:
        return cached[1], cached[2]
    if len(_DEFINITIONS) >= _DEFINITIONS_KEPT:
        _DEFINITIONS.clear()
    subcircuit, twin = memristor_subcircuit(model, values), osdi_model(model, values, instance_params)
    _DEFINITIONS[key] = (model, subcircuit, twin)
    return subcircuit, twin
