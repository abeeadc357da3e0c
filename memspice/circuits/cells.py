"""Memory cells between a word line and a bit line: 0T1R, 1S1R (selector + memristor), 1T1R.

Every cell array here implements the crossbar's cell protocol
(:class:`~memspice.circuits.crossbar_cells.CellArray`: ``shape``, ``definitions(netlist)``,
``elements(site)``), writes bulk elements (one :class:`~memspice.netlist.InstanceArray` or
:class:`~memspice.netlist.ResistorArray` per kind of device, so a 512×512 array costs a few
list comprehensions), and renders for ngspice and VACASK alike. A single cell is the same
code on a 1×1 site (:func:`add_cell`), so single-cell benches test what the arrays use.

The storage element of a cell is a fixed conductance (:class:`FixedConductanceCells`, pure
read studies) or a catalog memristor with a per-cell initial state (:class:`MemristorCells`).

======  ================================================  ==========================================
kind    cell (i, j), word node ``w``, bit node ``b``       names (``site.names(tag)``: ``<prefix><tag><i>_<j>``)
======  ================================================  ==========================================
0T1R    ``w`` —storage— ``b``                              storage ``Rc``/``Xc<i>_<j>``
1S1R    ``w`` —selector— ``n`` —storage— ``b``             selector ``Xs<i>_<j>`` (pos at ``w``), middle
                                                           node ``n<i>_<j>``, storage ``Rc``/``Xc<i>_<j>``
1T1R    ``w`` —storage— ``n`` —NMOS d/s— ``b``; gate on    storage ``Xc``/``Rc<i>_<j>``, middle node
        the row's gate line                                ``n<i>_<j>``, transistor ``Xt<i>_<j>`` (pins d g s),
                                                           gate line of row i: node ``g<i>_0``, source ``Vg<i>_0``
======  ================================================  ==========================================

State nodes (for ``.ic``, results): a memristor's is ``x<prefix>c<i>_<j>.xstate``, a
selector's ``x<prefix>s<i>_<j>.xstate`` (:func:`state_nodes`). A positive word-to-bit
voltage drives current from ``pos`` to ``neg`` of the memristor and the selector.

The 1T1R access transistor is a level-1 (Shichman–Hodges) NMOS,
:class:`memspice.spicelib.nmos.AccessTransistor` (an ngspice MOSFET with a Verilog-A twin for
VACASK); its gate voltage sets the cell's current compliance, ``kp/2·(W/L)·(V_gs − V_to)²`` in
saturation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Mapping, Sequence, Union

import numpy as np

from memspice.circuits.crossbar_cells import CellArray, CellSite, FixedConductanceCells, MemristorCells
from memspice.errors import ParameterError
from memspice.netlist import Dc, InstanceArray, Netlist, VoltageSource, check_name, check_node
from memspice.spicelib.catalog import STATE_NODE, MemristorModel, ParamValue
from memspice.spicelib.nmos import AccessTransistor

CellKind = Literal["0T1R", "1S1R", "1T1R"]
CELL_KINDS: tuple[str, ...] = ("0T1R", "1S1R", "1T1R")
Storage = Union[FixedConductanceCells, MemristorCells]

#: Tags of the names a cell array adds (see the module docstring).
STORAGE_TAG = "c"
SELECTOR_TAG = "s"
MIDDLE_TAG = "n"
TRANSISTOR_TAG = "t"
GATE_TAG = "g"


# --------------------------------------------------------------------------- cell arrays


def _per_cell(values: object, shape: tuple[int, int], *, what: str, low: float, high: float) -> np.ndarray:
    """A scalar or a ``shape`` array as a read-only float array of ``shape``, each in [low, high]."""
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParameterError(f"{what} must be a number or a {shape[0]}×{shape[1]} array of numbers") from None
    if array.ndim == 0:
        array = np.full(shape, float(array))
    if array.shape != shape:
        raise ParameterError(f"{what} has shape {array.shape}; expected {shape} (rows × cols) or one number")
    bad = ~np.isfinite(array) | (array < low) | (array > high)
    if bad.any():
        index = tuple(int(k) for k in np.argwhere(bad)[0])
        raise ParameterError(f"{what}[{index[0]}, {index[1]}]={float(array[index])!r} is not allowed; use numbers in [{low:g}, {high:g}]")
    array.flags.writeable = False
    return array


def _check_storage(storage: object, owner: str) -> None:
    if not isinstance(storage, (FixedConductanceCells, MemristorCells)):
        raise ParameterError(f"{owner}.storage must be FixedConductanceCells or MemristorCells, not {type(storage).__name__}")


def _resolve_selector(selector: str | MemristorModel) -> MemristorModel:
    from memspice.spicelib.selector import get_selector

    if isinstance(selector, MemristorModel):
        return selector
    return get_selector(selector)


@dataclass(frozen=True, eq=False)
class SelectorCells:
    """1S1R cells: a threshold-switching selector in series with the storage element.

    Parameters
    ----------
    storage:
        The storage element of every cell (:class:`FixedConductanceCells` or
        :class:`MemristorCells`), which also sets the array's shape.
    selector:
        A selector model name (:func:`memspice.spicelib.selector.get_selector`, default ``ts``)
        or the model object.
    selector_values:
        Selector parameter overrides (resolved and range-checked here); shared by all cells.
    selector_state0:
        Initial selector state, one number or one per cell (rows × cols), in [0, 1];
        default the model's initial-state parameter (``s0`` of ``selector_values``, 0 = OFF).
    selector_cell_values:
        Selector parameters that differ from cell to cell (name -> ``(rows, cols)``, e.g. a
        spread of ``v_th``), each inside its range; written on every selector instance.
    """

    storage: Storage
    selector: str | MemristorModel = "ts"
    selector_values: Mapping[str, ParamValue] = field(default_factory=dict)
    selector_state0: float | np.ndarray | None = None
    selector_cell_values: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_storage(self.storage, "SelectorCells")
        model = _resolve_selector(self.selector)
        object.__setattr__(self, "selector", model)
        object.__setattr__(self, "selector_values", model.resolve(self.selector_values))
        initial = self.selector_values[model.state_initial] if self.selector_state0 is None else self.selector_state0
        state = _per_cell(initial, self.shape, what="selector_state0", low=0.0, high=1.0)
        object.__setattr__(self, "selector_state0", state)
        per_cell = {}
        for name, given in self.selector_cell_values.items():
            parameter = model.parameter(name)
            low, high = parameter.bounds
            per_cell[name] = _per_cell(given, self.shape, what=f"selector_cell_values[{name!r}]", low=low, high=high)
        object.__setattr__(self, "selector_cell_values", per_cell)

    @property
    def shape(self) -> tuple[int, int]:
        return self.storage.shape

    @property
    def kind(self) -> str:
        return "1S1R"

    @property
    def selector_model(self) -> MemristorModel:
        """The selector model (resolved from its name)."""
        return self.selector  # type: ignore[return-value]

    @property
    def selector_subcircuit(self) -> str:
        return self.selector_model.subcircuit_name(self.selector_values)

    def definitions(self, netlist: Netlist) -> None:
        from memspice.spicelib.selector import selector_osdi_model, selector_subcircuit

        netlist.define(selector_subcircuit(self.selector_model, self.selector_values))
        netlist.define_osdi(selector_osdi_model(self.selector_model, self.selector_values,
                                                tuple(self.selector_cell_values)))
        self.storage.definitions(netlist)

    def elements(self, site: CellSite) -> list[object]:
        middle = site.names(MIDDLE_TAG)
        model = self.selector_model
        # Every numeric selector parameter is written per instance only where the model takes it
        # per instance (s0); the rest are the subcircuit's defaults, i.e. the resolved values.
        params = {model.state_initial: self.selector_state0.ravel(),
                  **{name: values.ravel() for name, values in self.selector_cell_values.items()}}
        selectors = InstanceArray(site.names(SELECTOR_TAG).ravel(), (site.word_nodes.ravel(), middle.ravel()),
                                  self.selector_subcircuit, params)
        return [selectors, *self.storage.elements(CellSite(site.prefix, middle, site.bit_nodes))]


@dataclass(frozen=True, eq=False)
class TransistorCells:
    """1T1R cells: the storage element in series with an NMOS whose gate is on the row's gate line.

    Parameters
    ----------
    storage:
        The storage element of every cell (sets the shape); it sits on the word-line side.
    gate_voltage_V:
        Gate-line voltage (V), one number or one per row (``(rows,)``); the compliance of a
        cell is the transistor's saturation current at this gate voltage (the bit line is
        the source, near 0 V in a read).
    transistor:
        The :class:`AccessTransistor` design shared by every cell.
    gate_nodes:
        Optional per-row gate nodes driven by the caller (e.g. a pulsed word line); then no
        gate sources are written and ``gate_voltage_V`` is ignored.
    """

    storage: Storage
    gate_voltage_V: float | np.ndarray = 1.2
    transistor: AccessTransistor = field(default_factory=AccessTransistor)
    gate_nodes: Sequence[str] | None = None

    def __post_init__(self) -> None:
        _check_storage(self.storage, "TransistorCells")
        if not isinstance(self.transistor, AccessTransistor):
            raise ParameterError(f"TransistorCells.transistor must be an AccessTransistor, not {type(self.transistor).__name__}")
        rows = self.shape[0]
        gates = np.array(self.gate_voltage_V, dtype=np.float64) if not isinstance(self.gate_voltage_V, str) else None
        if gates is None or gates.ndim > 1 or (gates.ndim == 1 and gates.shape[0] != rows):
            raise ParameterError(f"gate_voltage_V={self.gate_voltage_V!r} must be one number or {rows} numbers (one per row), V")
        gates = np.full(rows, float(gates)) if gates.ndim == 0 else gates
        if not np.isfinite(gates).all() or (np.abs(gates) > 100).any():
            index = int(np.argmax(~np.isfinite(gates) | (np.abs(gates) > 100)))
            raise ParameterError(f"gate_voltage_V[{index}]={float(gates[index])!r} is not allowed; use finite voltages within ±100 V")
        gates.flags.writeable = False
        object.__setattr__(self, "gate_voltage_V", gates)
        if self.gate_nodes is not None:
            nodes = tuple(check_node(node) for node in self.gate_nodes)
            if len(nodes) != rows:
                raise ParameterError(f"gate_nodes has {len(nodes)} nodes for {rows} rows")
            object.__setattr__(self, "gate_nodes", nodes)

    @property
    def shape(self) -> tuple[int, int]:
        return self.storage.shape

    @property
    def kind(self) -> str:
        return "1T1R"

    def gate_line_nodes(self, site: CellSite) -> tuple[str, ...]:
        """The gate node of each row: ``gate_nodes`` or ``<prefix>g<i>_0``."""
        if self.gate_nodes is not None:
            return tuple(self.gate_nodes)
        return tuple(site.names(GATE_TAG)[:, 0])

    def definitions(self, netlist: Netlist) -> None:
        self.transistor.define(netlist)
        self.storage.definitions(netlist)

    def elements(self, site: CellSite) -> list[object]:
        rows, cols = self.shape
        middle = site.names(MIDDLE_TAG)
        gates = self.gate_line_nodes(site)
        items: list[object] = []
        if self.gate_nodes is None:
            items += [VoltageSource(node, node, "0", Dc(float(v))) for node, v in zip(gates, self.gate_voltage_V)]
        items += self.storage.elements(CellSite(site.prefix, site.word_nodes, middle))
        gate_grid = np.repeat(np.array(gates, dtype=object), cols)
        items.append(InstanceArray(site.names(TRANSISTOR_TAG).ravel(), (middle.ravel(), gate_grid, site.bit_nodes.ravel()),
                                   self.transistor.subcircuit_name))
        return items


def make_cells(
    kind: CellKind,
    storage: Storage,
    *,
    selector: str | MemristorModel = "ts",
    selector_values: Mapping[str, ParamValue] | None = None,
    selector_cell_values: Mapping[str, np.ndarray] | None = None,
    gate_voltage_V: float | np.ndarray = 1.2,
    transistor: AccessTransistor | None = None,
) -> CellArray:
    """The cell array of ``kind`` around ``storage``: ``0T1R`` returns ``storage`` itself.

    Options that do not apply to ``kind`` are ignored (a crossbar CLI passes all of them).
    """
    if kind == "0T1R":
        _check_storage(storage, "make_cells")
        return storage
    if kind == "1S1R":
        return SelectorCells(storage, selector=selector, selector_values=selector_values or {},
                             selector_cell_values=selector_cell_values or {})
    if kind == "1T1R":
        return TransistorCells(storage, gate_voltage_V=gate_voltage_V, transistor=transistor or AccessTransistor())
    raise ParameterError(f"cell kind {kind!r} is not known; use one of {', '.join(CELL_KINDS)}")


def state_nodes(cells: CellArray, site: CellSite) -> dict[str, np.ndarray]:
    """``(rows, cols)`` arrays of state node names, ``{"memristor": ..., "selector": ...}`` as present.

    Node names are lower-case hierarchical names as results name them (``v(<node>)``).
    """
    nodes: dict[str, np.ndarray] = {}
    storage = getattr(cells, "storage", cells)
    if isinstance(storage, MemristorCells):
        nodes["memristor"] = _hierarchical(site.names(STORAGE_TAG))
    if isinstance(cells, SelectorCells):
        nodes["selector"] = _hierarchical(site.names(SELECTOR_TAG))
    return nodes


def _hierarchical(names: np.ndarray) -> np.ndarray:
    return np.array([f"x{name}.{STATE_NODE}".lower() for name in names.ravel()], dtype=object).reshape(names.shape)


# --------------------------------------------------------------------------- one cell


@dataclass(frozen=True)
class PlacedCell:
    """One cell added by :func:`add_cell`: its nodes (lower-case) and state nodes.

    ``middle`` is the node between selector/storage (1S1R) or storage/transistor (1T1R),
    None for 0T1R; ``gate`` the transistor's gate node (1T1R); ``memristor_state`` and
    ``selector_state`` the hierarchical state nodes (None where the cell has no such device).
    """

    kind: str
    word_line: str
    bit_line: str
    middle: str | None
    gate: str | None
    memristor_state: str | None
    selector_state: str | None


def add_cell(netlist: Netlist, name: str, cells: CellArray, word_line: str, bit_line: str) -> PlacedCell:
    """Add the single cell of a 1×1 cell array between ``word_line`` and ``bit_line``.

    ``<name>_`` prefixes every element and node the cell adds (``name``: letters, digits,
    ``_``), as a crossbar prefix does: a 1S1R cell ``dut`` is ``Xdut_s0_0`` (selector),
    node ``dut_n0_0`` and ``Xdut_c0_0`` (memristor) or ``Rdut_c0_0``. For a 1T1R cell the
    gate source is ``Vdut_g0_0`` at node ``dut_g0_0`` unless the array was given ``gate_nodes``.
    """
    if cells.shape != (1, 1):
        raise ParameterError(f"add_cell places one cell; the cell array has shape {cells.shape}")
    check_node(word_line)
    check_node(bit_line)
    prefix = check_name(name, what="cell name").lower() + "_"
    site = CellSite(prefix, node_grid_of(word_line), node_grid_of(bit_line))
    cells.definitions(netlist)
    netlist.add(*cells.elements(site))
    kind = getattr(cells, "kind", "0T1R")
    states = state_nodes(cells, site)
    gate = cells.gate_line_nodes(site)[0].lower() if isinstance(cells, TransistorCells) else None
    return PlacedCell(
        kind=kind,
        word_line=word_line.lower(),
        bit_line=bit_line.lower(),
        middle=None if kind == "0T1R" else str(site.names(MIDDLE_TAG)[0, 0]).lower(),
        gate=gate,
        memristor_state=str(states["memristor"][0, 0]) if "memristor" in states else None,
        selector_state=str(states["selector"][0, 0]) if "selector" in states else None,
    )


def node_grid_of(node: str) -> np.ndarray:
    """A 1×1 object array holding ``node`` (a one-cell site)."""
    grid = np.empty((1, 1), dtype=object)
    grid[0, 0] = node
    return grid


__all__ = [
    "AccessTransistor", "CELL_KINDS", "CellKind", "FixedConductanceCells", "MemristorCells", "PlacedCell",
    "SelectorCells", "TransistorCells", "add_cell", "make_cells", "state_nodes",
]
