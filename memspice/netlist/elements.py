"""The netlist model: elements, subcircuits, sources, one analysis, as validated frozen data.

Turning the model into text is a dialect's job (:mod:`memspice.netlist.dialect`): every
item names its ``format_*`` hook, ``render()`` of an item returns its ngspice text, and
:meth:`Netlist.render` writes the whole netlist for ngspice (default) or VACASK.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Iterable, Mapping, Union

from memspice.errors import NetlistError
from memspice.netlist.arrays import CapacitorArray, InstanceArray, ResistorArray
from memspice.netlist.ngspice import NGSPICE
from memspice.netlist.values import Expr, Value, check_name, check_node, check_number, element_name, format_value

if TYPE_CHECKING:
    from memspice.netlist.dialect import Dialect


def _check_two_terminal(name: str, letter: str, n1: str, n2: str) -> None:
    element_name(name, letter)
    check_node(n1)
    check_node(n2)


# --------------------------------------------------------------------------- source waveforms


@dataclass(frozen=True)
class Dc:
    """A constant source value (V or A)."""

    value: float
    format_hook: ClassVar[str] = "format_dc"

    def __post_init__(self) -> None:
        check_number(self.value, what="Dc.value")

    def render(self) -> str:
        return NGSPICE.format(self)


@dataclass(frozen=True)
class Sine:
    """``SIN(offset amplitude freq delay damping phase)``: offset + amplitude·sin(2π·f·t + phase)."""

    amplitude: float
    freq_hz: float
    offset: float = 0.0
    delay_s: float = 0.0
    damping_per_s: float = 0.0
    phase_deg: float = 0.0
    format_hook: ClassVar[str] = "format_sine"

    def __post_init__(self) -> None:
        for name in ("amplitude", "freq_hz", "offset", "delay_s", "damping_per_s", "phase_deg"):
            check_number(getattr(self, name), what=f"Sine.{name}")
        if self.freq_hz <= 0:
            raise NetlistError(f"Sine.freq_hz={self.freq_hz!r} must be > 0 Hz")
        if self.delay_s < 0:
            raise NetlistError(f"Sine.delay_s={self.delay_s!r} must be >= 0 s")

    def render(self) -> str:
        return NGSPICE.format(self)


@dataclass(frozen=True)
class Pulse:
    """``PULSE(v1 v2 delay rise fall width period)``: a trapezoidal pulse train."""

    initial: float
    pulsed: float
    delay_s: float
    rise_s: float
    fall_s: float
    width_s: float
    period_s: float
    format_hook: ClassVar[str] = "format_pulse"

    def __post_init__(self) -> None:
        for name in ("initial", "pulsed", "delay_s", "rise_s", "fall_s", "width_s", "period_s"):
            check_number(getattr(self, name), what=f"Pulse.{name}")
        for name in ("rise_s", "fall_s", "width_s", "period_s"):
            if getattr(self, name) <= 0:
                raise NetlistError(f"Pulse.{name}={getattr(self, name)!r} must be > 0 s")
        if self.delay_s < 0:
            raise NetlistError(f"Pulse.delay_s={self.delay_s!r} must be >= 0 s")

    def render(self) -> str:
        return NGSPICE.format(self)


@dataclass(frozen=True)
class Pwl:
    """``PWL(t1 v1 t2 v2 ...)``: piecewise-linear in time; times strictly increasing, from >= 0 s."""

    points: tuple[tuple[float, float], ...]
    format_hook: ClassVar[str] = "format_pwl"

    def __post_init__(self) -> None:
        if len(self.points) < 1:
            raise NetlistError("Pwl.points is empty; give at least one (time_s, value) pair")
        previous = -math.inf
        for index, (time_s, value) in enumerate(self.points):
            check_number(time_s, what=f"Pwl.points[{index}] time")
            check_number(value, what=f"Pwl.points[{index}] value")
            if time_s < 0 or time_s <= previous:
                raise NetlistError(
                    f"Pwl.points[{index}] time={time_s!r} s: times must start at >= 0 and strictly increase"
                )
            previous = time_s

    def render(self) -> str:
        return NGSPICE.format(self)


Waveform = Union[Dc, Sine, Pulse, Pwl]


# --------------------------------------------------------------------------- elements


@dataclass(frozen=True)
class Resistor:
    """``R<name> n1 n2 resistance_ohm``."""

    name: str
    n1: str
    n2: str
    resistance_ohm: Value
    format_hook: ClassVar[str] = "format_resistor"

    def __post_init__(self) -> None:
        _check_two_terminal(self.name, "R", self.n1, self.n2)
        if not isinstance(self.resistance_ohm, Expr) and check_number(self.resistance_ohm, what=f"{self.name}.resistance_ohm") <= 0:
            raise NetlistError(f"resistor {self.name}: resistance_ohm={self.resistance_ohm!r} must be > 0 Ω")

    def render(self) -> str:
        return NGSPICE.format(self)


@dataclass(frozen=True)
class Capacitor:
    """``C<name> n1 n2 capacitance_f [ic=v]``; ``ic_v`` is used by ``.tran ... uic``."""

    name: str
    n1: str
    n2: str
    capacitance_f: Value
    ic_v: Value | None = None
    format_hook: ClassVar[str] = "format_capacitor"

    def __post_init__(self) -> None:
        _check_two_terminal(self.name, "C", self.n1, self.n2)
        format_value(self.capacitance_f, what=f"{self.name}.capacitance_f")
        if self.ic_v is not None:
            format_value(self.ic_v, what=f"{self.name}.ic_v")

    def render(self) -> str:
        return NGSPICE.format(self)


@dataclass(frozen=True)
class VoltageSource:
    """``V<name> n_plus n_minus <waveform>``; its current ``i(v<name>)`` flows from n_plus through the source."""

    name: str
    n_plus: str
    n_minus: str
    waveform: Waveform
    format_hook: ClassVar[str] = "format_voltage_source"

    def __post_init__(self) -> None:
        _check_two_terminal(self.name, "V", self.n_plus, self.n_minus)

    def render(self) -> str:
        return NGSPICE.format(self)


@dataclass(frozen=True)
class CurrentSource:
    """``I<name> n_plus n_minus <waveform>``; the current flows from n_plus through the source into n_minus."""

    name: str
    n_plus: str
    n_minus: str
    waveform: Waveform
    format_hook: ClassVar[str] = "format_current_source"

    def __post_init__(self) -> None:
        _check_two_terminal(self.name, "I", self.n_plus, self.n_minus)

    def render(self) -> str:
        return NGSPICE.format(self)


@dataclass(frozen=True)
class BehaviouralSource:
    """``B<name> n_plus n_minus I=expr`` (or ``V=expr``): ngspice's arbitrary source.

    A current source pushes ``expr`` amperes from n_plus through itself into n_minus.
    VACASK has no such element: give the subcircuit that holds it a Verilog-A twin
    (:class:`OsdiModel`).
    """

    name: str
    n_plus: str
    n_minus: str
    expression: Expr
    kind: str = "I"
    format_hook: ClassVar[str] = "format_behavioural_source"

    def __post_init__(self) -> None:
        _check_two_terminal(self.name, "B", self.n_plus, self.n_minus)
        if self.kind not in ("I", "V"):
            raise NetlistError(f"behavioural source {self.name}: kind={self.kind!r}, allowed 'I' or 'V'")
        if not isinstance(self.expression, Expr):
            raise NetlistError(f"behavioural source {self.name}: expression must be an Expr, got {self.expression!r}")

    def render(self) -> str:
        return NGSPICE.format(self)


@dataclass(frozen=True)
class SubcircuitInstance:
    """``X<name> nodes... subckt param=value ...``.

    ``subcircuit`` names a :class:`SubcircuitDefinition` or, in VACASK netlists, an
    :class:`OsdiModel` registered with :meth:`Netlist.define_osdi`.
    """

    name: str
    nodes: tuple[str, ...]
    subcircuit: str
    params: Mapping[str, Value] = field(default_factory=dict)
    format_hook: ClassVar[str] = "format_subcircuit_instance"

    def __post_init__(self) -> None:
        element_name(self.name, "X")
        for node in self.nodes:
            check_node(node)
        check_name(self.subcircuit, what="subcircuit name")
        for key, value in self.params.items():
            check_name(key, what="parameter name")
            format_value(value, what=key)

    def render(self) -> str:
        return NGSPICE.format(self)


@dataclass(frozen=True)
class Comment:
    """A comment line that explains the netlist to a human reader (``*`` in ngspice, ``//`` in VACASK)."""

    text: str
    format_hook: ClassVar[str] = "format_comment"

    def __post_init__(self) -> None:
        if "\n" in self.text or "\r" in self.text:
            raise NetlistError("a comment must be a single line")

    def render(self) -> str:
        return NGSPICE.format(self)


@dataclass(frozen=True)
class ModelCard:
    """``.model <name> <kind> key=value ...``: a device model card (e.g. ``kind="nmos"``).

    ``params`` are numbers (SI), written with the netlist's number format; keys are names.
    """

    name: str
    kind: str
    params: Mapping[str, float]
    format_hook: ClassVar[str] = "format_model_card"

    def __post_init__(self) -> None:
        check_name(self.name, what="model name")
        check_name(self.kind, what="model kind")
        for key, value in self.params.items():
            check_name(key, what=f"model {self.name} parameter name")
            check_number(value, what=f"model {self.name}.{key}")

    def render(self) -> str:
        return NGSPICE.format(self)


@dataclass(frozen=True)
class Mosfet:
    """``M<name> drain gate source bulk model W=w_m L=l_m``: a MOSFET of a :class:`ModelCard`."""

    name: str
    drain: str
    gate: str
    source: str
    bulk: str
    model: str
    w_m: float
    l_m: float
    format_hook: ClassVar[str] = "format_mosfet"

    def __post_init__(self) -> None:
        element_name(self.name, "M")
        for node in (self.drain, self.gate, self.source, self.bulk):
            check_node(node)
        check_name(self.model, what="MOSFET model name")
        for what in ("w_m", "l_m"):
            if check_number(getattr(self, what), what=f"{self.name}.{what}") <= 0:
                raise NetlistError(f"MOSFET {self.name}: {what}={getattr(self, what)!r} must be > 0 m")

    def render(self) -> str:
        return NGSPICE.format(self)


Element = Union[Resistor, Capacitor, VoltageSource, CurrentSource, BehaviouralSource, SubcircuitInstance, Comment,
                ModelCard, Mosfet, ResistorArray, CapacitorArray, InstanceArray]


@dataclass(frozen=True)
class Function:
    """``.func name(args) {expr}``: a named helper expression, local to its subcircuit (ngspice only)."""

    name: str
    args: tuple[str, ...]
    body: Expr
    format_hook: ClassVar[str] = "format_function"

    def render(self) -> str:
        return NGSPICE.format(self)


@dataclass(frozen=True)
class SubcircuitDefinition:
    """``.subckt name pins... params: defaults`` … ``.ends``."""

    name: str
    pins: tuple[str, ...]
    params: Mapping[str, float]
    elements: tuple[Element, ...]
    functions: tuple[Function, ...] = ()
    comments: tuple[str, ...] = ()
    format_hook: ClassVar[str] = "format_subcircuit"

    def render(self) -> str:
        return NGSPICE.format(self)


_OSDI_FILE_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*\.osdi$")


@dataclass(frozen=True)
class OsdiModel:
    """A Verilog-A module (compiled by OpenVAF to OSDI) that stands in for a subcircuit in VACASK.

    VACASK has no B-sources, so a subcircuit built from behavioural sources (a memristor
    model) reaches VACASK as a Verilog-A module with the same pins and parameter names.
    Register it with :meth:`Netlist.define_osdi`; ngspice netlists ignore it and keep using
    the subcircuit. In VACASK an instance ``Xm1 mp 0 memspice_hp_biolek ron=100 x0=0.1``
    becomes a ``model`` line plus ``xm1 (mp 0) <model> x0=0.1``.

    Attributes
    ----------
    subcircuit:
        Name of the subcircuit whose instances the module replaces.
    module:
        The Verilog-A module name (``module <module>(pos, neg);``).
    va_source:
        Verilog-A source text; the engine compiles it with OpenVAF at run time (cached by
        :func:`memspice.engine.openvaf.compile_va`). Give this or ``osdi_path``.
    osdi_path:
        An already compiled ``.osdi`` file instead of ``va_source``.
    params:
        Model parameters written on the ``model`` line of every instance (Verilog-A names,
        numbers in SI units); an instance's own values override them.
    instance_params:
        Parameters the module declares ``(* type="instance" *)``: written on the instance
        line. VACASK accepts only those there, so every other parameter of an instance is a
        model parameter, and instances whose model parameters differ get separate model lines.
    initial_conditions:
        Internal node -> the parameter holding its value at t = 0 (or a number), e.g.
        ``{"xstate": "x0"}``: applied by ``Tran(uic=True)`` exactly where the ngspice
        subcircuit's ``Cstate xstate 0 1 ic={x0}`` applies.
    """

    subcircuit: str
    module: str
    va_source: str | None = None
    osdi_path: str | Path | None = None
    params: Mapping[str, float] = field(default_factory=dict)
    instance_params: tuple[str, ...] = ()
    initial_conditions: Mapping[str, str | float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_name(self.subcircuit, what="OsdiModel.subcircuit")
        check_name(self.module, what="OsdiModel.module")
        if (self.va_source is None) == (self.osdi_path is None):
            raise NetlistError(
                f"OsdiModel {self.subcircuit!r}: give exactly one of va_source (Verilog-A text) "
                "or osdi_path (a compiled .osdi file)"
            )
        if self.va_source is not None and (not isinstance(self.va_source, str) or not self.va_source.strip()):
            raise NetlistError(f"OsdiModel {self.subcircuit!r}: va_source must be non-empty Verilog-A text")
        if self.osdi_path is not None and not _OSDI_FILE_RE.fullmatch(Path(self.osdi_path).name):
            raise NetlistError(
                f"OsdiModel {self.subcircuit!r}: osdi_path {str(self.osdi_path)!r} must name a file "
                "'<letters, digits, _ . ->.osdi'"
            )
        for key, value in self.params.items():
            check_name(key, what=f"parameter of OsdiModel {self.subcircuit!r}")
            check_number(value, what=f"{self.subcircuit}.{key}")
        for key in self.instance_params:
            check_name(key, what=f"instance parameter of OsdiModel {self.subcircuit!r}")
        for node, value in self.initial_conditions.items():
            check_name(node, what=f"internal node of OsdiModel {self.subcircuit!r}")
            if isinstance(value, str):
                check_name(value, what=f"initial-condition parameter of {self.subcircuit}.{node}")
            else:
                check_number(value, what=f"initial condition of {self.subcircuit}.{node}")

    @property
    def osdi_file_name(self) -> str:
        """File name of the compiled module as VACASK netlists ``load`` it (beside the netlist)."""
        return Path(self.osdi_path).name if self.osdi_path is not None else f"{self.module}.osdi"


# --------------------------------------------------------------------------- analyses


@dataclass(frozen=True)
class Op:
    """``.op``: the DC operating point."""

    kind = "op"
    format_hook: ClassVar[str] = "format_op"

    def render(self) -> str:
        return NGSPICE.format(self)


@dataclass(frozen=True)
class DcSweep:
    """``.dc source start stop step``: sweep an independent source (V or A)."""

    source: str
    start: float
    stop: float
    step: float
    kind = "dc"
    format_hook: ClassVar[str] = "format_dc_sweep"

    def __post_init__(self) -> None:
        check_name(self.source, what="swept source")
        for name in ("start", "stop", "step"):
            check_number(getattr(self, name), what=f"DcSweep.{name}")
        if self.step == 0 or (self.stop - self.start) * self.step < 0:
            raise NetlistError(
                f"DcSweep step={self.step!r} must be non-zero and point from start={self.start!r} to stop={self.stop!r}"
            )

    def render(self) -> str:
        return NGSPICE.format(self)


@dataclass(frozen=True)
class Tran:
    """``.tran step stop [start [max_step]] [uic]``.

    ``uic`` (default) starts from the capacitor ``ic=`` values and ``.ic`` lines instead of
    an operating point, which is how memristor states are set and restored.
    """

    step_s: float
    stop_s: float
    start_s: float = 0.0
    max_step_s: float | None = None
    uic: bool = True
    kind = "tran"
    format_hook: ClassVar[str] = "format_tran"

    def __post_init__(self) -> None:
        check_number(self.step_s, what="Tran.step_s")
        check_number(self.stop_s, what="Tran.stop_s")
        check_number(self.start_s, what="Tran.start_s")
        if self.step_s <= 0 or self.stop_s <= 0:
            raise NetlistError(f"Tran step_s={self.step_s!r} and stop_s={self.stop_s!r} must be > 0 s")
        if not 0 <= self.start_s < self.stop_s:
            raise NetlistError(f"Tran start_s={self.start_s!r} must be in [0, stop_s={self.stop_s!r}) s")
        if self.max_step_s is not None and check_number(self.max_step_s, what="Tran.max_step_s") <= 0:
            raise NetlistError(f"Tran max_step_s={self.max_step_s!r} must be > 0 s")

    def render(self) -> str:
        return NGSPICE.format(self)


Analysis = Union[Op, DcSweep, Tran]


@dataclass
class Netlist:
    """A complete netlist: title, options, subcircuits, elements, initial conditions, one analysis.

    ``render()`` writes it for ngspice, ``render(dialect="vacask")`` (or :meth:`render_vacask`)
    for VACASK.
    """

    title: str
    elements: list[Element] = field(default_factory=list)
    subcircuits: list[SubcircuitDefinition] = field(default_factory=list)
    options: dict[str, float | str] = field(default_factory=dict)
    initial_conditions: dict[str, float] = field(default_factory=dict)
    analysis: Analysis | None = None
    #: Vectors for a ``.print`` line, e.g. ``["v(mp)", "i(vsense)"]``. ngspice ignores the line
    #: when it writes a raw file (as memspice's engine does) and prints a table when a person
    #: runs the netlist with plain ``ngspice -b``, which would otherwise run nothing.
    print_vectors: list[str] = field(default_factory=list)
    #: The vectors the simulator keeps, e.g. ``["v(xc0_0.xstate)", "i(vbb0)"]`` (node voltages
    #: ``v(<node>)``, hierarchical with ``.``; source currents ``i(<source>)``); empty keeps every
    #: vector. Written as ngspice ``.save`` lines (with the ``print_vectors`` added) and as a VACASK
    #: ``save`` statement, so the raw file, and the table read from it, hold only these (and the
    #: scale). The column names are those the full result would give them.
    saves: list[str] = field(default_factory=list)
    #: Verilog-A twins of subcircuits, used by the VACASK dialect (see :class:`OsdiModel`).
    osdi_models: list[OsdiModel] = field(default_factory=list)

    def add(self, *elements: Element) -> "Netlist":
        """Append elements; returns the netlist so calls can be chained."""
        self.elements.extend(elements)
        return self

    def define(self, subcircuit: SubcircuitDefinition) -> "Netlist":
        """Add a subcircuit definition once (same name and same text: ignored; different text: error)."""
        for existing in self.subcircuits:
            if existing.name == subcircuit.name:
                if existing.render() != subcircuit.render():
                    raise NetlistError(f"subcircuit {subcircuit.name!r} is already defined differently")
                return self
        self.subcircuits.append(subcircuit)
        return self

    def define_osdi(self, model: OsdiModel) -> "Netlist":
        """Register a Verilog-A twin of a subcircuit for VACASK, once (same: ignored; different: error)."""
        if not isinstance(model, OsdiModel):
            raise NetlistError(f"define_osdi() takes an OsdiModel, not {type(model).__name__}")
        for existing in self.osdi_models:
            if existing.subcircuit.lower() == model.subcircuit.lower():
                if existing != model:
                    raise NetlistError(f"subcircuit {model.subcircuit!r} already has a different OsdiModel")
                return self
        self.osdi_models.append(model)
        return self

    def check_complete(self) -> None:
        """Raise NetlistError unless the netlist has a one-line title and an analysis."""
        if "\n" in self.title or "\r" in self.title:
            raise NetlistError("the netlist title must be a single line")
        if self.analysis is None:
            raise NetlistError("the netlist has no analysis; set netlist.analysis to Op(), DcSweep(...) or Tran(...)")

    def render(self, dialect: "str | Dialect" = "ngspice") -> str:
        """The netlist as simulator input text, for ``"ngspice"`` (default: ends with ``.end``)
        or ``"vacask"`` (see :mod:`memspice.netlist.vacask`), or a Dialect object."""
        from memspice.netlist.dialect import get_dialect

        return get_dialect(dialect).format_netlist(self)

    def render_vacask(self) -> str:
        """The netlist as a VACASK input file; same as ``render(dialect="vacask")``."""
        return self.render(dialect="vacask")


def node_names(elements: Iterable[Element]) -> set[str]:
    """All node names used by ``elements`` (for checks such as "is every node connected")."""
    nodes: set[str] = set()
    for element in elements:
        if isinstance(element, SubcircuitInstance):
            nodes.update(element.nodes)
        elif isinstance(element, (VoltageSource, CurrentSource, BehaviouralSource)):
            nodes.update((element.n_plus, element.n_minus))
        elif isinstance(element, (Resistor, Capacitor)):
            nodes.update((element.n1, element.n2))
        elif isinstance(element, (ResistorArray, CapacitorArray)):
            nodes.update(element.nodes())
        elif isinstance(element, InstanceArray):
            nodes.update(element.nodes_used())
    return nodes
