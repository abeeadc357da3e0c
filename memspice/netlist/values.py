"""Names, numbers and expressions that may reach a netlist, validated before any text exists.

* names (elements, nodes, subcircuits, parameters, options) are letters, digits and ``_``
  (hierarchical node paths such as ``x1.xstate`` join such names with dots);
* numbers are finite floats, written by :func:`memspice.units.format_spice_number`;
* behavioural expressions are one line drawn from a small alphabet (no ``;``, ``$``,
  quotes or newlines), so no string can open a ``.control`` block, call ``shell`` or
  ``.include`` a file.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Union

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


def element_name(name: str, letter: str) -> str:
    """Element names start with their SPICE type letter; add it when the caller left it out."""
    check_name(name, what="element name")
    return name if name[:1].lower() == letter.lower() else letter.upper() + name
