"""Numbers at the edges: SPICE/engineering notation in, exact SPICE text out.

Inside memspice every quantity is an SI float. Engineering suffixes (``50n``, ``16k``,
``1Meg``) are parsed only where a human types them (CLI options, TOML files), and the
netlister writes numbers with :func:`format_spice_number`, which round-trips exactly.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

from memspice.errors import ParameterError

#: SPICE scale suffixes (case-insensitive, as ngspice reads them). ``m`` is milli, ``meg`` is mega.
SPICE_SUFFIXES: dict[str, float] = {
    "t": 1e12,
    "g": 1e9,
    "meg": 1e6,
    "k": 1e3,
    "mil": 25.4e-6,
    "m": 1e-3,
    "u": 1e-6,
    "µ": 1e-6,
    "n": 1e-9,
    "p": 1e-12,
    "f": 1e-15,
}

_NUMBER_RE = re.compile(
    r"^\s*(?P<mantissa>[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"(?P<suffix>meg|mil|[tgkmuµnpf])?(?P<unit>[a-zA-Zµ]*)\s*$",
    re.IGNORECASE,
)


def parse_spice_number(text: str, *, name: str = "value") -> float:
    """Parse a number written in SPICE/engineering notation into an SI float.

    Accepts ``1e-3``, ``2.5u``, ``16k``, ``1Meg``, ``50ns`` (trailing unit letters are
    ignored, as in SPICE). A bare upper-case ``M`` is refused because SPICE reads it as
    milli while most people mean mega.

    Raises
    ------
    ParameterError
        naming ``name`` and the text when it is not a finite number.
    """
    match = _NUMBER_RE.fullmatch(text)
    if match is None:
        raise ParameterError(
            f"{name}={text!r} is not a number; write e.g. 1e-3, 2.5u, 16k or 1Meg"
        )
    suffix = match.group("suffix") or ""
    unit = match.group("unit") or ""
    if suffix == "M" and not unit.lower().startswith("eg"):
        raise ParameterError(
            f"{name}={text!r} is ambiguous: SPICE reads 'M' as milli (1e-3); "
            "write 'Meg' or 'e6' for mega, 'm' for milli"
        )
    scale = SPICE_SUFFIXES[suffix.lower()] if suffix else 1.0
    try:
        # Decimal keeps "50n" exactly 5e-08 (a float product would be off by one ulp).
        value = float(Decimal(match.group("mantissa")) * Decimal(repr(scale)))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only decimals
        raise ParameterError(f"{name}={text!r} is not a number") from exc
    if not math.isfinite(value):
        raise ParameterError(f"{name}={text!r} is not finite; use a finite number")
    return value


def format_spice_number(value: float) -> str:
    """Write an SI float as SPICE text that reads back to exactly the same float.

    Uses Python's shortest round-trip representation (``16000``, ``0.1``, ``1e-14``),
    never a scale suffix, so ``M``/``Meg`` confusion cannot arise.
    """
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"cannot write {value!r} into a netlist: only finite numbers are allowed")
    if number == 0.0:
        return "0"
    text = repr(number)
    if text.endswith(".0"):
        text = text[:-2]
    return text
