"""Checks of user-given numbers shared by the configurations: each raises
:class:`~memspice.errors.ParameterError` naming the parameter, the value and what is allowed."""

from __future__ import annotations

import math

import numpy as np

from memspice.errors import ParameterError


def finite_number(value: object, what: str, *, low: float | None = None, strict: bool = True, unit: str = "") -> float:
    """``value`` as a float: a finite real number (not a bool), and above ``low`` (``>= low``
    when ``strict`` is False) when ``low`` is given. ``unit`` (e.g. ``" V"``) ends the message."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(value)):
        raise ParameterError(f"{what}={value!r} is not allowed; use a finite number{unit}")
    value = float(value)
    if low is not None and (value < low or (strict and value == low)):
        raise ParameterError(f"{what}={value!r} is not allowed; use a finite number {'>' if strict else '>='} {low:g}{unit}")
    return value


def positive_int(value: object, what: str) -> int:
    """``value`` as an int >= 1 (numpy integers accepted, bools refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(f"{what}={value!r} is not allowed; use an integer >= 1")
    return int(value)
