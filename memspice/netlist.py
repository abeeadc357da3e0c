"""The netlist model: elements, subcircuits, sources, one analysis, written as ngspice text.

Everything a user can name or set is validated here, before any text exists:

* names (elements, nodes, subcircuits, parameters, options) are letters, digits and ``_``
  (hierarchical node paths such as ``x1.xstate`` join such names with dots);
* numbers are finite floats, written by :func:`memspice.units.format_spice_number`;
* behavioural expressions are one line drawn from a small alphabet (no ``;``, ``$``,
  quotes or newlines), so no string can open a ``.control`` block, call ``shell`` or
  ``.include`` a file.

``Netlist.render()`` returns text that plain ``ngspice -b`` runs as it is.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Union

from memspice.errors import NetlistError
from memspice.units import format_spice_number

_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")
_NODE_RE = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")
# B-source expressions and {parameter} expressions: arithmetic, comparisons, ternary,
# function calls, names. Deliberately no ';', '$', quotes, backslash or line breaks.
_EXPR_RE = re.compile(r"^[A-Za-z0-9_.+\-*/(),?:<>=!&|^{} \t]+$")
_RESERVED_WORDS = {"control", "endc", "shell", "include", "lib", "end"}


def check_name(name: str, *, what: str = "name") -> str:
    """Return ``name`` if it is letters, digits and ``_`` only; else raise NetlistError."""
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise NetlistError(
            f"{what} {name!r} is not allowed: use letters, digits and '_' only "
            "(no spaces, dots or punctuation)"
        )
    if name.lower() in _RESERVED_WORDS:
        raise NetlistError(f"{what} {name!r} is a reserved SPICE word; choose another name")
    return name


def check_node(node: str) -> str:
    """Return a node name (``a``, ``0``, or a hierarchical ``x1.xstate``) after validation."""
    if not isinstance(node, str) or not _NODE_RE.fullmatch(node):
        raise NetlistError(
            f"node {node!r} is not allowed: use letters, digits and '_' "
            "(dots only between the parts of a hierarchical name such as x1.xstate)"
        )
    return node


def check_number(value: float, *, what: str = "value") -> float:
    """Return ``value`` as a float if it is a finite real number; else raise NetlistError."""
    if isinstance(value, bool):
        raise NetlistError(f"{what}={value!r} is a bool; a finite number is required")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise NetlistError(f"{what}={value!r} is not a number; a finite number is required") from None
    if not math.isfinite(number):
        raise NetlistError(f"{what}={value!r} is not finite; a finite number is required")
    return number


@dataclass(frozen=True)
class Expr:
    """A behavioural expression written into the netlist (inside ``{}`` where SPICE needs it).

    Only arithmetic, comparisons, function calls and names are allowed; see the module doc.
    """

    text: str

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not _EXPR_RE.fullmatch(self.text):
            raise NetlistError(
                f"expression {self.text!r} contains characters that are not allowed: use names, "
                "numbers, + - * / ^ ( ) , ? : < > = ! & | and {parameter} only, on one line"
            )
        if self.text.count("(") != self.text.count(")") or self.text.count("{") != self.text.count("}"):
            raise NetlistError(f"expression {self.text!r} has unbalanced brackets")


Value = Union[float, int, Expr]


def format_value(value: Value, *, what: str = "value") -> str:
    """Write a number exactly, or an expression in braces for ngspice's parameter evaluator."""
    if isinstance(value, Expr):
        return "{" + value.text + "}"
    return format_spice_number(check_number(value, what=what))


def _check_two_terminal(name: str, letter: str, n1: str, n2: str) -> None:
    _element_name(name, letter)
    check_node(n1)
    check_node(n2)


def _element_name(name: str, letter: str) -> str:
    """Element names start with their SPICE type letter; add it when the caller left it out."""
    check_name(name, what="element name")
    return name if name[:1].lower() == letter.lower() else letter.upper() + name


# --------------------------------------------------------------------------- source waveforms


@dataclass(frozen=True)
class Dc:
    """A constant source value (V or A)."""

    value: float

    def __post_init__(self) -> None:
        check_number(self.value, what="Dc.value")

    def render(self) -> str:
        return f"dc {format_spice_number(self.value)}"


@dataclass(frozen=True)
class Sine:
    """``SIN(offset amplitude freq delay damping phase)``: offset + amplitude·sin(2π·f·t + phase)."""

    amplitude: float
    freq_hz: float
    offset: float = 0.0
    delay_s: float = 0.0
    damping_per_s: float = 0.0
    phase_deg: float = 0.0

    def __post_init__(self) -> None:
        for name in ("amplitude", "freq_hz", "offset", "delay_s", "damping_per_s", "phase_deg"):
            check_number(getattr(self, name), what=f"Sine.{name}")
        if self.freq_hz <= 0:
            raise NetlistError(f"Sine.freq_hz={self.freq_hz!r} must be > 0 Hz")
        if self.delay_s < 0:
            raise NetlistError(f"Sine.delay_s={self.delay_s!r} must be >= 0 s")

    def render(self) -> str:
        args = (self.offset, self.amplitude, self.freq_hz, self.delay_s, self.damping_per_s, self.phase_deg)
        return f"dc {format_spice_number(self.offset)} sin({' '.join(map(format_spice_number, args))})"


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

    def __post_init__(self) -> None:
        for name in ("initial", "pulsed", "delay_s", "rise_s", "fall_s", "width_s", "period_s"):
            check_number(getattr(self, name), what=f"Pulse.{name}")
        for name in ("rise_s", "fall_s", "width_s", "period_s"):
            if getattr(self, name) <= 0:
                raise NetlistError(f"Pulse.{name}={getattr(self, name)!r} must be > 0 s")
        if self.delay_s < 0:
            raise NetlistError(f"Pulse.delay_s={self.delay_s!r} must be >= 0 s")

    def render(self) -> str:
        args = (self.initial, self.pulsed, self.delay_s, self.rise_s, self.fall_s, self.width_s, self.period_s)
        return f"dc {format_spice_number(self.initial)} pulse({' '.join(map(format_spice_number, args))})"


@dataclass(frozen=True)
class Pwl:
    """``PWL(t1 v1 t2 v2 ...)``: piecewise-linear in time; times strictly increasing, from >= 0 s."""

    points: tuple[tuple[float, float], ...]

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
        pairs = " ".join(f"{format_spice_number(t)} {format_spice_number(v)}" for t, v in self.points)
        return f"dc {format_spice_number(self.points[0][1])} pwl({pairs})"


Waveform = Union[Dc, Sine, Pulse, Pwl]


# --------------------------------------------------------------------------- elements


@dataclass(frozen=True)
class Resistor:
    """``R<name> n1 n2 resistance_ohm``."""

    name: str
    n1: str
    n2: str
    resistance_ohm: Value

    def __post_init__(self) -> None:
        _check_two_terminal(self.name, "R", self.n1, self.n2)
        if not isinstance(self.resistance_ohm, Expr) and check_number(self.resistance_ohm, what=f"{self.name}.resistance_ohm") <= 0:
            raise NetlistError(f"resistor {self.name}: resistance_ohm={self.resistance_ohm!r} must be > 0 Ω")

    def render(self) -> str:
        return f"{_element_name(self.name, 'R')} {check_node(self.n1)} {check_node(self.n2)} {format_value(self.resistance_ohm)}"


@dataclass(frozen=True)
class Capacitor:
    """``C<name> n1 n2 capacitance_f [ic=v]``; ``ic_v`` is used by ``.tran ... uic``."""

    name: str
    n1: str
    n2: str
    capacitance_f: Value
    ic_v: Value | None = None

    def __post_init__(self) -> None:
        _check_two_terminal(self.name, "C", self.n1, self.n2)
        format_value(self.capacitance_f, what=f"{self.name}.capacitance_f")
        if self.ic_v is not None:
            format_value(self.ic_v, what=f"{self.name}.ic_v")

    def render(self) -> str:
        text = f"{_element_name(self.name, 'C')} {check_node(self.n1)} {check_node(self.n2)} {format_value(self.capacitance_f)}"
        if self.ic_v is not None:
            text += f" ic={format_value(self.ic_v)}"
        return text


@dataclass(frozen=True)
class VoltageSource:
    """``V<name> n_plus n_minus <waveform>``; its current ``i(v<name>)`` flows from n_plus through the source."""

    name: str
    n_plus: str
    n_minus: str
    waveform: Waveform

    def __post_init__(self) -> None:
        _check_two_terminal(self.name, "V", self.n_plus, self.n_minus)

    def render(self) -> str:
        return f"{_element_name(self.name, 'V')} {check_node(self.n_plus)} {check_node(self.n_minus)} {self.waveform.render()}"


@dataclass(frozen=True)
class CurrentSource:
    """``I<name> n_plus n_minus <waveform>``; the current flows from n_plus through the source into n_minus."""

    name: str
    n_plus: str
    n_minus: str
    waveform: Waveform

    def __post_init__(self) -> None:
        _check_two_terminal(self.name, "I", self.n_plus, self.n_minus)

    def render(self) -> str:
        return f"{_element_name(self.name, 'I')} {check_node(self.n_plus)} {check_node(self.n_minus)} {self.waveform.render()}"


@dataclass(frozen=True)
class BehaviouralSource:
    """``B<name> n_plus n_minus I=expr`` (or ``V=expr``): ngspice's arbitrary source.

    A current source pushes ``expr`` amperes from n_plus through itself into n_minus.
    """

    name: str
    n_plus: str
    n_minus: str
    expression: Expr
    kind: str = "I"

    def __post_init__(self) -> None:
        _check_two_terminal(self.name, "B", self.n_plus, self.n_minus)
        if self.kind not in ("I", "V"):
            raise NetlistError(f"behavioural source {self.name}: kind={self.kind!r}, allowed 'I' or 'V'")
        if not isinstance(self.expression, Expr):
            raise NetlistError(f"behavioural source {self.name}: expression must be an Expr, got {self.expression!r}")

    def render(self) -> str:
        return (
            f"{_element_name(self.name, 'B')} {check_node(self.n_plus)} {check_node(self.n_minus)} "
            f"{self.kind}={self.expression.text}"
        )


@dataclass(frozen=True)
class SubcircuitInstance:
    """``X<name> nodes... subckt param=value ...``."""

    name: str
    nodes: tuple[str, ...]
    subcircuit: str
    params: Mapping[str, Value] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _element_name(self.name, "X")
        for node in self.nodes:
            check_node(node)
        check_name(self.subcircuit, what="subcircuit name")
        for key, value in self.params.items():
            check_name(key, what="parameter name")
            format_value(value, what=key)

    def render(self) -> str:
        nodes = " ".join(check_node(node) for node in self.nodes)
        text = f"{_element_name(self.name, 'X')} {nodes} {check_name(self.subcircuit, what='subcircuit name')}"
        if self.params:
            assignments = " ".join(
                f"{check_name(key, what='parameter name')}={format_value(value, what=key)}"
                for key, value in self.params.items()
            )
            text += f" {assignments}"
        return text


@dataclass(frozen=True)
class Comment:
    """A ``*`` comment line that explains the netlist to a human reader."""

    text: str

    def __post_init__(self) -> None:
        if "\n" in self.text or "\r" in self.text:
            raise NetlistError("a comment must be a single line")

    def render(self) -> str:
        return f"* {self.text}"


Element = Union[Resistor, Capacitor, VoltageSource, CurrentSource, BehaviouralSource, SubcircuitInstance, Comment]


@dataclass(frozen=True)
class Function:
    """``.func name(args) {expr}``: a named helper expression, local to its subcircuit."""

    name: str
    args: tuple[str, ...]
    body: Expr

    def render(self) -> str:
        args = ",".join(check_name(arg, what="function argument") for arg in self.args)
        return f".func {check_name(self.name, what='function name')}({args}) {{{self.body.text}}}"


@dataclass(frozen=True)
class SubcircuitDefinition:
    """``.subckt name pins... params: defaults`` … ``.ends``."""

    name: str
    pins: tuple[str, ...]
    params: Mapping[str, float]
    elements: tuple[Element, ...]
    functions: tuple[Function, ...] = ()
    comments: tuple[str, ...] = ()

    def render(self) -> str:
        check_name(self.name, what="subcircuit name")
        for pin in self.pins:
            check_name(pin, what=f"pin of subcircuit {self.name}")
        lines = [Comment(text).render() for text in self.comments]
        header = f".subckt {self.name} {' '.join(self.pins)}"
        if self.params:
            defaults = " ".join(
                f"{check_name(key, what='parameter name')}={format_spice_number(check_number(value, what=key))}"
                for key, value in self.params.items()
            )
            header += f" params: {defaults}"
        lines.append(header)
        lines.extend(function.render() for function in self.functions)
        lines.extend(element.render() for element in self.elements)
        lines.append(f".ends {self.name}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- analyses


@dataclass(frozen=True)
class Op:
    """``.op``: the DC operating point."""

    kind = "op"

    def render(self) -> str:
        return ".op"


@dataclass(frozen=True)
class DcSweep:
    """``.dc source start stop step``: sweep an independent source (V or A)."""

    source: str
    start: float
    stop: float
    step: float
    kind = "dc"

    def __post_init__(self) -> None:
        check_name(self.source, what="swept source")
        for name in ("start", "stop", "step"):
            check_number(getattr(self, name), what=f"DcSweep.{name}")
        if self.step == 0 or (self.stop - self.start) * self.step < 0:
            raise NetlistError(
                f"DcSweep step={self.step!r} must be non-zero and point from start={self.start!r} to stop={self.stop!r}"
            )

    def render(self) -> str:
        numbers = " ".join(map(format_spice_number, (self.start, self.stop, self.step)))
        return f".dc {self.source} {numbers}"


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
        numbers = [self.step_s, self.stop_s]
        if self.max_step_s is not None or self.start_s:
            numbers.append(self.start_s)
        if self.max_step_s is not None:
            numbers.append(self.max_step_s)
        text = ".tran " + " ".join(map(format_spice_number, numbers))
        return text + (" uic" if self.uic else "")


Analysis = Union[Op, DcSweep, Tran]

_OPTION_WORD_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_PRINT_VECTOR_RE = re.compile(r"^[vi]\([A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*(,[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*)?\)$")


@dataclass
class Netlist:
    """A complete ngspice netlist: title, options, subcircuits, elements, initial conditions, one analysis."""

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

    def render(self) -> str:
        """The netlist as ngspice text (ends with ``.end`` and a newline)."""
        if "\n" in self.title or "\r" in self.title:
            raise NetlistError("the netlist title must be a single line")
        if self.analysis is None:
            raise NetlistError("the netlist has no analysis; set netlist.analysis to Op(), DcSweep(...) or Tran(...)")
        lines = [f"* {self.title}"]
        if self.options:
            lines.append(".options " + " ".join(self._render_option(k, v) for k, v in self.options.items()))
        for subcircuit in self.subcircuits:
            lines.append("")
            lines.append(subcircuit.render())
        lines.append("")
        lines.extend(element.render() for element in self.elements)
        if self.initial_conditions:
            conditions = " ".join(
                f"v({check_node(node)})={format_spice_number(check_number(value, what=f'ic of {node}'))}"
                for node, value in self.initial_conditions.items()
            )
            lines.append(f".ic {conditions}")
        if self.print_vectors:
            lines.append(self._render_print())
        lines.append(self.analysis.render())
        lines.append(".end")
        return "\n".join(lines) + "\n"

    def _render_print(self) -> str:
        for vector in self.print_vectors:
            if not _PRINT_VECTOR_RE.fullmatch(vector):
                raise NetlistError(f"print vector {vector!r} must look like v(node), v(a,b) or i(vsource)")
        kind = "tran" if self.analysis.kind == "tran" else "dc"
        return f".print {kind} " + " ".join(self.print_vectors)

    @staticmethod
    def _render_option(key: str, value: float | str) -> str:
        check_name(key, what="option name")
        if isinstance(value, str):
            if not _OPTION_WORD_RE.fullmatch(value):
                raise NetlistError(f"option {key}={value!r}: a word option must be letters, digits and '_'")
            return f"{key}={value}"
        return f"{key}={format_spice_number(check_number(value, what=f'option {key}'))}"


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
    return nodes
