"""Configurations as data: frozen dataclasses whose fields carry a unit, a range and a doc.

A study's configuration is a frozen dataclass deriving from :class:`ConfigBase`; each field is
declared with :func:`setting`, which records its unit, allowed range (or choices) and a
one-line doc. From that metadata alone the base class

* validates every field once, on construction (numbers finite and in range, integers whole,
  words among their choices, tuples element by element, nested configs by their own rules),
  then calls :meth:`ConfigBase.check` for rules between fields;
* turns the config into plain data and back (:meth:`ConfigBase.to_dict`,
  :meth:`ConfigBase.from_dict`, TOML through :meth:`ConfigBase.to_toml` / :func:`load_toml`),
  refusing unknown keys by name;
* applies dotted overrides such as ``array.r_word_ohm=5`` (:meth:`ConfigBase.with_overrides`),
  values parsed with SPICE suffixes (``50n``, ``16k``); a list or matrix field given a ``.npy``/``.csv``
  file name reads the array from it, so the config holds the numbers, not the path;
* gives a stable content hash (:meth:`ConfigBase.content_hash`): the same config gives the
  same hash in any process on any machine.

Everything stored is SI; suffixes are read only where a human types (CLI, TOML strings).
Errors are :class:`ConfigError`: they name the field's dotted path, the value and what is
allowed, and the CLI rewrites the path into the option the user typed.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import hashlib
import json
import math
import re
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from memspice.errors import ParameterError
from memspice.units import parse_spice_number

_META_KEY = "memspice"
#: Annotations (or their origins) of table fields.
MAPPING_TYPES = (dict, collections.abc.Mapping)


@dataclass(frozen=True)
class FieldSpec:
    """What a config field means: unit (SI), one-line doc, allowed range or choices, CLI name.

    ``low``/``high`` bound numbers (and every element of a tuple of numbers); ``choices`` lists
    the allowed words of a ``str`` field. ``cli`` is the command-line option without dashes
    (default: the field name with ``-`` for ``_``).
    """

    doc: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    cli: str | None = None

    def range_text(self) -> str:
        """The allowed values as a human reads them, e.g. ``(0, 1e+06] Ω`` or ``one of v2, v3``."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.low is None and self.high is None:
            return f"any finite number{' ' + self.unit if self.unit else ''}"
        left = "(" if self.low is None or self.low_open else "["
        right = ")" if self.high is None or self.high_open else "]"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"{left}{low}, {high}{right}" + (f" {self.unit}" if self.unit else "")

    def admits(self, number: float) -> bool:
        too_low = self.low is not None and (number < self.low or (self.low_open and number == self.low))
        too_high = self.high is not None and (number > self.high or (self.high_open and number == self.high))
        return not (too_low or too_high)


def setting(
    default: Any = dataclasses.MISSING,
    *,
    doc: str,
    unit: str = "",
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    choices: Sequence[str] = (),
    cli: str | None = None,
    default_factory: Any = dataclasses.MISSING,
) -> Any:
    """A dataclass field with its :class:`FieldSpec` (use inside a :class:`ConfigBase` subclass)."""
    spec = FieldSpec(doc=doc, unit=unit, low=low, high=high, low_open=low_open, high_open=high_open,
                     choices=tuple(choices), cli=cli)
    return dataclasses.field(default=default, default_factory=default_factory, metadata={_META_KEY: spec})


class ConfigError(ParameterError):
    """A config value is not allowed. ``path`` is the field's dotted path (``array.r_word_ohm``),
    ``value`` what was given, ``allowed`` what would be accepted."""

    def __init__(self, path: str, value: object, allowed: str, *, reason: str = "") -> None:
        self.path, self.value, self.allowed, self.reason = path, value, allowed, reason
        super().__init__(self.describe(path))

    def describe(self, name: str, whole: object = None) -> str:
        """The message with the field called ``name`` (the CLI passes the option the user typed).
        For one element of a list (``path`` ending in ``[k]``) ``whole`` is the list as given,
        and the message says which element: ``--v-writes=1.5,-2: value 2 (-2) is not allowed``."""
        if self.value is None:
            return f"{name} {self.reason or 'is missing'}; give {self.allowed}"
        shown = show_value(self.value)
        why = f" {self.reason}" if self.reason else " is not allowed"
        indices = [int(k) + 1 for k in re.findall(r"\[(\d+)\]", self.path)]
        if not indices or whole is None or (isinstance(whole, tuple) and len(whole) == 1 and len(indices) == 1):
            return f"{name}={shown}{why}; allowed: {self.allowed}"
        where = f"value {indices[0]}" if len(indices) == 1 else f"row {indices[0]}, column {indices[1]}"
        return f"{name}={show_value(whole)}: {where} ({shown}){why}; allowed: {self.allowed}"


def show_value(value: Any, *, most: int = 8) -> str:
    """A value as a user would type it: ``2.5e-08``, ``2,2`` for a list (the first ``most`` and
    the count when longer), ``a 3x4 matrix`` for a nested list, ``'text'`` for a string."""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple) and value and all(isinstance(v, tuple) for v in value):
        return f"a {len(value)}x{len(value[0])} matrix"
    if isinstance(value, tuple) and not value:
        return "()"
    if isinstance(value, tuple):
        shown = ",".join(show_value(v) for v in value[:most])
        return shown + (f",... ({len(value)} values)" if len(value) > most else "")
    return repr(value)


# --------------------------------------------------------------------------- type handling


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def strip_optional(tp: Any) -> tuple[Any, bool]:
    """``X | None`` -> (X, True); anything else -> (tp, False)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(tp)) == 2:
            return args[0], True
    return tp, False


def _is_config(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, ConfigBase)


def _check_value(value: Any, tp: Any, spec: FieldSpec | None, path: str) -> Any:
    """``value`` checked against the annotation ``tp`` and ``spec``; returns the normalised value
    (ints for int fields, floats for float fields, tuples for tuple fields)."""
    tp, optional = strip_optional(tp)
    if value is None:
        if optional:
            return None
        raise ConfigError(path, value, spec.range_text() if spec else "a value", reason="is missing")
    allowed = spec.range_text() if spec else "see the docs"
    if _is_config(tp):
        if isinstance(value, tp):
            return value
        if isinstance(value, Mapping):
            return tp.from_dict(value, prefix=path + ".")
        raise ConfigError(path, value, f"a table of {tp.__name__} fields")
    origin = typing.get_origin(tp)
    if origin is tuple:
        args = typing.get_args(tp)
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise ConfigError(path, value, f"a list ({allowed})")
        element = args[0] if len(args) == 2 and args[1] is Ellipsis else None
        if element is None:
            if len(value) != len(args):
                raise ConfigError(path, value, f"a list of {len(args)} values")
            return tuple(_check_value(v, a, spec, f"{path}[{k}]") for k, (v, a) in enumerate(zip(value, args)))
        return tuple(_check_value(v, element, spec, f"{path}[{k}]") for k, v in enumerate(value))
    if origin in MAPPING_TYPES or tp in MAPPING_TYPES:
        if not isinstance(value, Mapping):
            raise ConfigError(path, value, "a table of name = value")
        return types.MappingProxyType(dict(value))
    if origin is typing.Literal:
        choices = typing.get_args(tp)
        if value not in choices:
            raise ConfigError(path, value, "one of " + ", ".join(map(str, choices)))
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(path, value, "true or false")
        return value
    if tp in (int, float):
        whole = tp is int
        number_ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(float(value))
        if not number_ok or (whole and not float(value).is_integer()):
            raise ConfigError(path, value, f"{'a whole' if whole else 'a finite'} number in {allowed}")
        value = tp(value)
        if spec is not None and not spec.admits(value):
            raise ConfigError(path, value, allowed)
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(path, value, allowed if spec and spec.choices else "a word")
        if spec is not None and spec.choices and value not in spec.choices:
            raise ConfigError(path, value, allowed)
        return value
    if tp is Any or tp is object:
        return value
    # Union of plain scalars (e.g. float | str in model parameter maps)
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return value
    raise TypeError(f"config field {path}: unsupported annotation {tp!r}")


def _plain(value: Any) -> Any:
    """A field value as plain data (dicts, lists, numbers, strings, bools; None kept)."""
    if isinstance(value, ConfigBase):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


class ConfigBase:
    """Base of every study configuration (and its parts); subclasses are ``@dataclass(frozen=True)``.

    Subclasses declare their fields with :func:`setting` and put rules between fields in
    :meth:`check` (raise :class:`ConfigError`).
    """

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its data in another process (a pool worker): fields such as resolved
        # parameters are read-only mappings, which pickle cannot copy as they are.
        return (_config_from_dict, (type(self), self.to_dict()))

    def __post_init__(self) -> None:
        hints = _hints(type(self))
        for item in dataclasses.fields(self):  # type: ignore[arg-type]
            spec = item.metadata.get(_META_KEY)
            checked = _check_value(getattr(self, item.name), hints[item.name], spec, item.name)
            object.__setattr__(self, item.name, checked)
        self.check()

    def check(self) -> None:
        """Rules between fields; the default has none."""

    # ----------------------------------------------------------------- plain data

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain data (nested configs as dicts, tuples as lists; None kept)."""
        return {item.name: _plain(getattr(self, item.name)) for item in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, prefix: str = "") -> "ConfigBase":
        """A config from plain data; unknown keys are refused by name, missing ones take defaults."""
        names = {item.name for item in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(prefix + unknown[0], data[unknown[0]], "the fields " + ", ".join(sorted(names)),
                              reason="is not a field of " + cls.__name__)
        for item in dataclasses.fields(cls):  # type: ignore[arg-type]
            required = item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING
            if required and item.name not in data:
                spec = item.metadata.get(_META_KEY)
                raise ConfigError(prefix + item.name, None, spec.doc if spec else "a value", reason="is required")
        hints = _hints(cls)
        values = {}
        for name, value in data.items():
            tp, _ = strip_optional(hints[name])
            values[name] = tp.from_dict(value, prefix=f"{prefix}{name}.") if _is_config(tp) and isinstance(value, Mapping) else value
        try:
            return cls(**values)
        except ConfigError as error:
            if prefix and not error.path.startswith(prefix):
                raise ConfigError(prefix + error.path, error.value, error.allowed, reason=error.reason) from None
            raise

    def to_toml(self) -> str:
        """The config as TOML text (None fields left out: TOML has no null, and absent means default)."""
        import tomli_w

        return _inline_number_arrays(tomli_w.dumps(_drop_none(self.to_dict())))

    def content_hash(self) -> str:
        """SHA-256 (hex) of the class name and the canonical JSON of :meth:`to_dict`: stable across
        processes and machines (floats are written by their shortest round-trip repr)."""
        text = json.dumps({"config": type(self).__name__, "fields": self.to_dict()}, sort_keys=True,
                          separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    # ----------------------------------------------------------------- overrides

    def with_overrides(self, overrides: Mapping[str, Any]) -> "ConfigBase":
        """A copy with dotted-path overrides applied (``{"array.r_word_ohm": "5"}``); text values are
        parsed by the field's type (numbers with SPICE suffixes, lists comma-separated or read from
        a ``.npy``/``.csv`` file: :data:`ARRAY_FILE_SUFFIXES`)."""
        data = self.to_dict()
        for path, value in overrides.items():
            assign_path(type(self), data, path.split("."), value, path)
        return type(self).from_dict(data)

    @classmethod
    def field_specs(cls, prefix: str = "") -> Iterator[tuple[str, Any, FieldSpec | None, Any]]:
        """(dotted path, annotation, spec, default) of every leaf field, nested configs flattened."""
        hints = _hints(cls)
        for item in dataclasses.fields(cls):  # type: ignore[arg-type]
            tp, _ = strip_optional(hints[item.name])
            path = prefix + item.name
            if _is_config(tp):
                yield from tp.field_specs(path + ".")
            else:
                default = item.default if item.default is not dataclasses.MISSING else (
                    item.default_factory() if item.default_factory is not dataclasses.MISSING else dataclasses.MISSING)
                yield path, hints[item.name], item.metadata.get(_META_KEY), default


def _config_from_dict(cls: type, data: Mapping[str, Any]) -> "ConfigBase":
    return cls.from_dict(data)


def _drop_none(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _drop_none(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [_drop_none(v) for v in data]
    return data


def parse_text(text: str, tp: Any, path: str) -> Any:
    """A value typed by a human (CLI option, dotted override) converted for a field of type ``tp``."""
    tp, optional = strip_optional(tp)
    if optional and text.strip().lower() in ("none", ""):
        return None
    origin = typing.get_origin(tp)
    if origin is tuple:
        args = typing.get_args(tp)
        element = args[0] if len(args) == 2 and args[1] is Ellipsis else None
        if element is not None and text.strip().lower().endswith(ARRAY_FILE_SUFFIXES):
            return read_array_file(text.strip(), array_depth(tp), path)
        # A list of tuples (e.g. cells as ROW,COL pairs) is written ``3,4;5,1``.
        nested = element is not None and typing.get_origin(strip_optional(element)[0]) is tuple
        separator = ";" if nested else ","
        parts = [part.strip() for part in text.split(separator)]
        if len(parts) > 1 and not all(parts):
            raise ConfigError(path, text, f"values separated by '{separator}' with none empty")
        parts = [part for part in parts if part]
        if element is None:
            return tuple(parse_text(p, a, path) for p, a in zip(parts, args))
        return tuple(parse_text(p, element, path) for p in parts)
    if tp is bool:
        lowered = text.strip().lower()
        if lowered in ("true", "yes", "1", "on"):
            return True
        if lowered in ("false", "no", "0", "off"):
            return False
        raise ConfigError(path, text, "true or false")
    if tp is int:
        try:
            return int(text.strip())
        except ValueError:
            raise ConfigError(path, text, "a whole number") from None
    if tp is float:
        try:
            return parse_spice_number(text, name=path)
        except ParameterError:
            raise ConfigError(path, text, "a number such as 1e-3, 2.5u, 16k or 1Meg") from None
    return text


#: A value for a list field (``tuple[float, ...]``, or a matrix ``tuple[tuple[float, ...], ...]``)
#: that ends in one of these is a file to read the array from: NumPy's ``.npy``, or numbers
#: separated by commas (one matrix row per line).
ARRAY_FILE_SUFFIXES = (".npy", ".csv", ".txt")


def array_depth(tp: Any) -> int:
    """How many list levels a field holds: 1 for ``tuple[float, ...]``, 2 for a matrix
    ``tuple[tuple[float, ...], ...]``, 0 for anything else."""
    tp, _ = strip_optional(tp)
    args = typing.get_args(tp)
    if typing.get_origin(tp) is not tuple or len(args) != 2 or args[1] is not Ellipsis:
        return 0
    return 1 + array_depth(args[0])


def read_array_file(file: str, depth: int, path: str) -> tuple:
    """The array in ``file`` (``.npy``, or ``.csv``/``.txt`` with commas) as nested tuples of
    ``depth`` levels, for the list field at ``path``; ConfigError naming the file otherwise.
    An array of fewer dimensions is read as one row (a ``(n,)`` file for a matrix field is a
    ``1 × n`` matrix, as a one-line CSV is)."""
    import numpy as np

    try:
        if Path(file).suffix.lower() == ".npy":
            array = np.load(file, allow_pickle=False)
        else:
            array = np.loadtxt(file, delimiter=",", ndmin=depth)
    except (OSError, ValueError) as error:
        raise ConfigError(path, file, "a .npy file or numbers separated by commas",
                          reason=f"cannot be read ({error})") from None
    if not isinstance(array, np.ndarray):  # np.load gives an archive for an .npz, whatever its name
        raise ConfigError(path, file, "a .npy file holding one array", reason="is an .npz archive, not one array")
    if array.dtype.kind not in "iuf":
        kinds = {"c": "complex numbers", "b": "booleans", "U": "text", "S": "text", "O": "Python objects"}
        raise ConfigError(path, file, "real numbers (a float or integer array)",
                          reason=f"holds {kinds.get(array.dtype.kind, array.dtype.name)}")
    if array.ndim < depth:
        array = array.reshape((1,) * (depth - array.ndim) + array.shape)
    if array.ndim != depth:
        raise ConfigError(path, file, f"a file holding a {depth}-dimensional array",
                          reason=f"holds an array of shape {array.shape}")
    return _nested_tuples(array.tolist())


def _nested_tuples(values: Any) -> Any:
    return tuple(_nested_tuples(v) for v in values) if isinstance(values, list) else values


def assign_path(cls: type, data: dict, parts: list[str], value: Any, path: str) -> None:
    hints = _hints(cls)
    name = parts[0]
    if name not in hints or name not in {f.name for f in dataclasses.fields(cls)}:
        known = ", ".join(f.name for f in dataclasses.fields(cls))
        raise ConfigError(path, value, f"the fields {known}", reason="names no field")
    tp, _ = strip_optional(hints[name])
    if len(parts) > 1:
        if _is_config(tp):
            child = data.get(name)
            if child is None:
                child = data[name] = {}
            assign_path(tp, child, parts[1:], value, path)
            return
        origin = typing.get_origin(tp)
        if origin in MAPPING_TYPES or tp in MAPPING_TYPES:
            table = dict(data.get(name) or {})
            table[".".join(parts[1:])] = value
            data[name] = table
            return
        raise ConfigError(path, value, f"{name} is a single value", reason="names no field")
    data[name] = parse_text(value, hints[name], path) if isinstance(value, str) else value


def load_toml_data(cls: type, path: str | Path) -> dict[str, Any]:
    """The plain data of a TOML config file for class ``cls`` (number strings such as ``"50n"``
    parsed); errors name the file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParameterError(f"--config {str(path)!r}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ParameterError(f"--config {str(path)!r} is not valid TOML: {error}") from None
    return parse_strings(cls, data)


def load_toml(cls: type, path: str | Path) -> ConfigBase:
    """Read a config of class ``cls`` from a TOML file."""
    return cls.from_dict(load_toml_data(cls, path))


def is_table(annotation: Any) -> bool:
    """True for a field that holds a name -> value table (e.g. model parameter overrides)."""
    tp, _ = strip_optional(annotation)
    return typing.get_origin(tp) in MAPPING_TYPES or tp in MAPPING_TYPES


def parse_strings(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """TOML strings for number fields (``"50n"``) parsed with SPICE suffixes."""
    hints = _hints(cls)
    out: dict[str, Any] = {}
    for name, value in data.items():
        tp = hints.get(name)
        if tp is None:
            out[name] = value
            continue
        inner, _ = strip_optional(tp)
        if _is_config(inner) and isinstance(value, Mapping):
            out[name] = parse_strings(inner, value)
        elif isinstance(value, str) and (inner is float or typing.get_origin(inner) is tuple):
            out[name] = parse_text(value, tp, name)
        else:
            out[name] = value
    return out


#: An array of numbers (or booleans) as tomli_w writes it: one element per line.
_NUMBER_ARRAY = re.compile(r"\[\n((?:[ \t]+[-+0-9.eE_a-z]+,\n)+)[ \t]*\]")


def _inline_number_arrays(text: str) -> str:
    """``text`` (TOML from tomli_w) with every array of numbers on one line, so a matrix reads
    as one row per line instead of one number per line; the values are untouched."""
    return _NUMBER_ARRAY.sub(lambda m: "[" + ", ".join(v.strip().rstrip(",") for v in m.group(1).splitlines()) + "]",
                             text)
