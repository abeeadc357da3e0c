"""Bulk elements: many resistors, capacitors or subcircuit instances as one validated block.

A 512×512 crossbar with wire resistance has about 790,000 elements. Building one
:class:`~memspice.netlist.Resistor` object per element and rendering it takes about 10 s
(measured: 5.6 s to build, 4.3 s to render for ngspice); a block holds the names, nodes and
values of all its elements as arrays, validates each array with one pass over its text and
writes every line of the block in one list comprehension (0.3 s for the same array). Blocks
render through the same dialect hooks as single elements::

    ResistorArray(names=["c0_0", "c0_1"], n1=["w0", "w0"], n2=["b0", "b1"], resistance_ohm=[1e3, 2e3])

    ngspice:  Rc0_0 w0 b0 1000           VACASK:  rc0_0 (w0 b0) resistor r=1000
              Rc0_1 w0 b1 2000                    rc0_1 (w0 b1) resistor r=2000

Validation is the same as for single elements, applied to whole arrays before any text
exists: names and nodes are letters, digits and ``_`` only (no dots: a block cannot reach
inside a subcircuit), values are finite floats (resistances > 0). The element letter is
always prepended to each name (``c0_0`` -> ``Rc0_0``). Names are not checked for
uniqueness (that would cost a sort of the whole array); blocks built by memspice's circuit
generators make them unique by construction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar, Iterable, Mapping, Sequence

import numpy as np

from memspice.errors import NetlistError
from memspice.netlist.values import check_name

#: Letters, digits, ``_`` and the space used to join the names of an array for one regex check.
_JOINED_NAMES_RE = re.compile(r"[A-Za-z0-9_ ]*")
_NAME_RE = re.compile(r"[A-Za-z0-9_]+")


def check_name_array(values: Iterable[str] | np.ndarray, *, what: str) -> tuple[str, ...]:
    """Validate many names (letters, digits, ``_``; no dots) at once; return them as a tuple.

    One regex over the space-joined names checks the alphabet of every name; the message of
    a failure names the first offending entry and its index.

    Raises
    ------
    NetlistError
        naming ``what``, the index and the bad value.
    """
    names = np.asarray(values, dtype=object).ravel().tolist() if isinstance(values, np.ndarray) else list(values)
    if not all(isinstance(name, str) for name in names):
        index = next(k for k, name in enumerate(names) if not isinstance(name, str))
        raise NetlistError(f"{what}[{index}]={names[index]!r} is not a string; names are letters, digits and '_'")
    joined = " ".join(names)
    # A space inside a name shows as one space too many; an empty name as a zero length.
    if (_JOINED_NAMES_RE.fullmatch(joined) is None or joined.count(" ") != max(len(names) - 1, 0)
            or (names and min(map(len, names)) == 0)):
        index = next(k for k, name in enumerate(names) if not _NAME_RE.fullmatch(name))
        raise NetlistError(
            f"{what}[{index}]={names[index]!r} is not allowed: use letters, digits and '_' only "
            "(no spaces, dots or punctuation)"
        )
    return tuple(names)


def check_number_array(values: Iterable[float] | np.ndarray | float, *, what: str, count: int,
                       positive: bool = False) -> np.ndarray:
    """``values`` as a read-only float64 array of length ``count`` (a scalar is broadcast).

    Raises
    ------
    NetlistError
        naming ``what``, the index and the value of the first non-finite (or, with
        ``positive``, non-positive) entry, or the length mismatch.
    """
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise NetlistError(f"{what} must be numbers, got {type(values).__name__}") from None
    if array.ndim == 0:
        array = np.full(count, float(array))
    array = array.ravel()
    if array.shape[0] != count:
        raise NetlistError(f"{what} has {array.shape[0]} values for {count} elements")
    bad = ~np.isfinite(array) if not positive else ~(np.isfinite(array) & (array > 0))
    if bad.any():
        index = int(np.argmax(bad))
        allowed = "finite numbers > 0" if positive else "finite numbers"
        raise NetlistError(f"{what}[{index}]={float(array[index])!r} is not allowed; {what} must be {allowed}")
    array = array.copy()
    array.flags.writeable = False
    return array


def format_number_array(values: np.ndarray) -> list[str]:
    """Each float written as :func:`memspice.units.format_spice_number` writes it (exact round trip)."""
    if values.size and bool(np.all(values == values[0])):
        return [_format_one(float(values[0]))] * values.size
    return [_format_one(value) for value in values.tolist()]


def _format_one(number: float) -> str:
    if number == 0.0:
        return "0"
    text = repr(number)
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True, eq=False)
class _TwoTerminalArray:
    names: Sequence[str]
    n1: Sequence[str]
    n2: Sequence[str]
    letter: ClassVar[str] = ""
    value_field: ClassVar[str] = ""

    def __post_init__(self) -> None:
        kind = type(self).__name__
        object.__setattr__(self, "names", check_name_array(self.names, what=f"{kind}.names"))
        count = len(self.names)
        for pin in ("n1", "n2"):
            nodes = check_name_array(getattr(self, pin), what=f"{kind}.{pin}")
            if len(nodes) != count:
                raise NetlistError(f"{kind}.{pin} has {len(nodes)} nodes for {count} names")
            object.__setattr__(self, pin, nodes)

    def __len__(self) -> int:
        return len(self.names)

    def nodes(self) -> set[str]:
        """Every node the block connects to."""
        return set(self.n1) | set(self.n2)

    def text_values(self) -> list[str]:
        """The values of the elements as netlist numbers, one per element."""
        return format_number_array(getattr(self, self.value_field))

    def render(self) -> str:
        from memspice.netlist.ngspice import NGSPICE

        return NGSPICE.format(self)


@dataclass(frozen=True, eq=False)
class ResistorArray(_TwoTerminalArray):
    """Many resistors ``R<name> n1 n2 resistance_ohm``: names, nodes and values of equal length.

    ``resistance_ohm`` (Ω) is one number for all or one per element, each finite and > 0.
    """

    resistance_ohm: Sequence[float] | np.ndarray | float = field(default=1.0)
    letter: ClassVar[str] = "R"
    value_field: ClassVar[str] = "resistance_ohm"
    format_hook: ClassVar[str] = "format_resistor_array"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "resistance_ohm", check_number_array(
            self.resistance_ohm, what="ResistorArray.resistance_ohm", count=len(self.names), positive=True))


@dataclass(frozen=True, eq=False)
class CapacitorArray(_TwoTerminalArray):
    """Many capacitors ``C<name> n1 n2 capacitance_f`` (F, finite, > 0), no initial conditions."""

    capacitance_f: Sequence[float] | np.ndarray | float = field(default=1e-15)
    letter: ClassVar[str] = "C"
    value_field: ClassVar[str] = "capacitance_f"
    format_hook: ClassVar[str] = "format_capacitor_array"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "capacitance_f", check_number_array(
            self.capacitance_f, what="CapacitorArray.capacitance_f", count=len(self.names), positive=True))


@dataclass(frozen=True, eq=False)
class InstanceArray:
    """Many instances ``X<name> nodes... <subcircuit> param=value ...`` of one subcircuit.

    ``nodes`` holds one sequence of node names per pin, each as long as ``names``.
    ``params`` maps a parameter name to one number for all instances or one per instance.
    In VACASK netlists a subcircuit with an :class:`~memspice.netlist.OsdiModel` twin is
    written as instances of its model: parameters that vary per instance must be among the
    model's ``instance_params`` (one model line then serves every instance), constant ones
    go on the model line.
    """

    names: Sequence[str]
    nodes: tuple[Sequence[str], ...]
    subcircuit: str
    params: Mapping[str, Sequence[float] | np.ndarray | float] = field(default_factory=dict)
    letter: ClassVar[str] = "X"
    format_hook: ClassVar[str] = "format_instance_array"

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", check_name_array(self.names, what="InstanceArray.names"))
        count = len(self.names)
        check_name(self.subcircuit, what="InstanceArray.subcircuit")
        pins = []
        for pin, nodes in enumerate(self.nodes):
            checked = check_name_array(nodes, what=f"InstanceArray.nodes[{pin}]")
            if len(checked) != count:
                raise NetlistError(f"InstanceArray.nodes[{pin}] has {len(checked)} nodes for {count} names")
            pins.append(checked)
        object.__setattr__(self, "nodes", tuple(pins))
        params: dict[str, np.ndarray] = {}
        for key, value in self.params.items():
            check_name(key, what="InstanceArray parameter name")
            params[key] = check_number_array(value, what=f"InstanceArray.params[{key!r}]", count=count)
        object.__setattr__(self, "params", params)

    def __len__(self) -> int:
        return len(self.names)

    def nodes_used(self) -> set[str]:
        """Every node the instances connect to."""
        used: set[str] = set()
        for pin in self.nodes:
            used.update(pin)
        return used

    def constant_params(self) -> dict[str, float]:
        """The parameters whose value is the same for every instance."""
        return {key: float(values[0]) for key, values in self.params.items()
                if len(values) and bool(np.all(values == values[0]))}

    def render(self) -> str:
        from memspice.netlist.ngspice import NGSPICE

        return NGSPICE.format(self)


def lines_of(prefix_columns: list[list[str]], *, separator: str = " ") -> str:
    """Join column lists element-wise into lines: ``[[a1, a2], [b1, b2]]`` -> ``"a1 b1\\na2 b2"``."""
    return "\n".join(map(separator.join, zip(*prefix_columns)))
