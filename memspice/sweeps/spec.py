"""The sweep file: which study, its base config, the swept values, Monte Carlo draws, run options.

A :class:`Sweep` is data, read from TOML (:func:`load_sweep`) or built in Python::

    study = "crossbar-read"          # any registered study
    [base]                           # the study's config, as `memspice STUDY --print-config` writes it
    rows = 16
    cols = 16
    [grid]                           # cartesian product over dotted field paths
    r_word_ohm = [0.0, 1.0, 5.0]
    [zip]                            # optional: lists varied together (equal lengths), one more axis
    [monte_carlo]                    # optional: samples per grid point, each with its own seed
    samples = 5
    seed = 1
    [run]                            # run options (engine, timeout)

:meth:`Sweep.points` expands it into :class:`SweepPoint` s, each a complete, validated config
of the study. Every problem (unknown study, key, field path, a value out of range, an empty
list, zip lists of unequal lengths, Monte Carlo for a study without a ``seed`` field) is a
:class:`~memspice.errors.ParameterError` naming the sweep file's key, raised before anything runs.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import tomllib
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from memspice.config import ConfigBase, ConfigError, FieldSpec, assign_path, parse_strings
from memspice.engine.options import RunOptions
from memspice.errors import ParameterError

#: The top-level keys of a sweep file.
SWEEP_KEYS = ("study", "base", "grid", "zip", "monte_carlo", "run")
#: The keys of ``[monte_carlo]``.
MONTE_CARLO_KEYS = ("samples", "seed")
#: The config field each Monte Carlo sample sets.
SEED_FIELD = "seed"
MAX_SAMPLES = 1_000_000
MAX_POINTS = 10_000_000


@dataclass(frozen=True)
class MonteCarlo:
    """``samples`` repetitions of every grid point, sample ``k`` of a point seeded by a number
    derived from ``seed``, the point's grid values and ``k`` (:func:`derive_seed`)."""

    samples: int
    seed: int = 0

    def __post_init__(self) -> None:
        for name, value, low, high in (("samples", self.samples, 1, MAX_SAMPLES), ("seed", self.seed, 0, 2**63 - 1)):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ParameterError(f"monte_carlo.{name}={value!r} is not allowed; allowed: a whole number in [{low}, {high}]")


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: its position, the values that vary, the sample and seed, the config."""

    index: int
    #: Swept field path -> value (grid axes then zip axes, in the sweep file's order).
    coords: Mapping[str, Any]
    #: Monte Carlo sample index (None without ``[monte_carlo]``) and the seed it set.
    sample: int | None
    seed: int | None
    config: ConfigBase


@dataclass(frozen=True)
class Sweep:
    """A sweep of ``study``: ``base`` config data, ``grid`` (path -> values, cartesian product),
    ``zip`` (path -> values of one common length, varied together), optional Monte Carlo, and
    the run options. Values are as a TOML file holds them (SI numbers, or strings with SPICE
    suffixes such as ``"16k"``)."""

    study: str
    base: Mapping[str, Any] = field(default_factory=dict)
    grid: Mapping[str, tuple] = field(default_factory=dict)
    zip: Mapping[str, tuple] = field(default_factory=dict)
    monte_carlo: MonteCarlo | None = None
    run: RunOptions = field(default_factory=RunOptions)

    def __post_init__(self) -> None:
        from memspice.studies import get_study

        if not isinstance(self.study, str):
            raise ParameterError(f"study={self.study!r} is not allowed; allowed: a study name such as 'crossbar-read'")
        study = get_study(self.study)  # unknown names are refused listing the registered ones
        if isinstance(self.run, Mapping):
            object.__setattr__(self, "run", _run_options(self.run))
        if isinstance(self.monte_carlo, Mapping):
            object.__setattr__(self, "monte_carlo", _monte_carlo(self.monte_carlo))
        for table in ("base", "grid", "zip"):
            if not isinstance(getattr(self, table), Mapping):
                raise ParameterError(f"[{table}] must be a table of name = value; got {getattr(self, table)!r}")
        object.__setattr__(self, "base", types.MappingProxyType(dict(self.base)))
        for table in ("grid", "zip"):
            lists = {}
            for path, values in getattr(self, table).items():
                if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
                    raise ParameterError(f"{table}.{path}={values!r} is not a list; give the values to sweep, "
                                         f"e.g. {path} = [0.0, 1.0, 5.0]")
                if len(values) == 0:
                    raise ParameterError(f"{table}.{path} is an empty list; give at least one value")
                lists[path] = tuple(values)
            object.__setattr__(self, table, types.MappingProxyType(lists))
        both = sorted(set(self.grid) & set(self.zip))
        if both:
            raise ParameterError(f"{both[0]} is in both [grid] and [zip]; sweep each field in one of them")
        lengths = {path: len(values) for path, values in self.zip.items()}
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"{path} has {n}" for path, n in lengths.items())
            raise ParameterError(f"[zip] lists must have equal lengths ({shown}); give each the same number of values")
        if self.monte_carlo is not None and SEED_FIELD not in {path for path, *_ in study.Config.field_specs()}:
            raise ParameterError(f"[monte_carlo] needs a '{SEED_FIELD}' field in the study's config, and study "
                                 f"{self.study!r} has none; sweep it with [grid] only")
        if self.monte_carlo is not None and (SEED_FIELD in self.grid or SEED_FIELD in self.zip):
            raise ParameterError(f"{SEED_FIELD} is swept and set by [monte_carlo]; remove one of them")
        if len(self) > MAX_POINTS:
            raise ParameterError(f"the sweep has {len(self)} points; at most {MAX_POINTS} are allowed")
        self.points()  # every point's config validated now, before anything runs

    # ----------------------------------------------------------------- the points

    def __len__(self) -> int:
        size = 1
        for values in self.grid.values():
            size *= len(values)
        if self.zip:
            size *= len(next(iter(self.zip.values())))
        return size * (self.monte_carlo.samples if self.monte_carlo else 1)

    @property
    def axes(self) -> tuple[str, ...]:
        """The swept field paths: grid axes then zip axes, in the order they were given."""
        return (*self.grid, *self.zip)

    def field_spec(self, path: str) -> FieldSpec | None:
        """The :class:`FieldSpec` (unit, range, doc) of the study's field at ``path``."""
        from memspice.studies import get_study

        for spec_path, _annotation, spec, _default in get_study(self.study).Config.field_specs():
            if spec_path == path:
                return spec
        return None

    def points(self) -> list[SweepPoint]:
        """Every point, grid axes in order (the last fastest), then the zip axis, then the samples
        (built and validated once, on construction)."""
        cached = self.__dict__.get("_points")
        if cached is None:
            cached = self._build_points()
            object.__setattr__(self, "_points", cached)
        return list(cached)

    def _build_points(self) -> tuple[SweepPoint, ...]:
        from memspice.studies import get_study

        config_type = get_study(self.study).Config
        base = _base_data(config_type, self.base)
        zipped = list(zip(*self.zip.values())) if self.zip else [()]
        combos = [dict(zip(self.axes, (*grid_values, *zip_values)))
                  for grid_values in itertools.product(*self.grid.values()) for zip_values in zipped]
        samples = range(self.monte_carlo.samples) if self.monte_carlo else [None]
        seed_spec = self.field_spec(SEED_FIELD) if self.monte_carlo else None
        tables = {**{path: "grid" for path in self.grid}, **{path: "zip" for path in self.zip}, SEED_FIELD: "monte_carlo"}
        points = []
        for coords in combos:
            data = _with_values(config_type, base, coords, tables)
            for sample in samples:
                seed = None
                if sample is not None:
                    seed = derive_seed(self.monte_carlo.seed, coords, sample, seed_spec)  # type: ignore[union-attr]
                    data = {**data, SEED_FIELD: seed}
                points.append(SweepPoint(index=len(points), coords=types.MappingProxyType(coords), sample=sample,
                                         seed=seed, config=_config(config_type, data, coords, tables)))
        return tuple(points)

    # ----------------------------------------------------------------- plain data

    def to_dict(self) -> dict[str, Any]:
        """The sweep as plain data, the tables of a sweep file (empty ones left out)."""
        data: dict[str, Any] = {"study": self.study}
        for table in ("base", "grid", "zip"):
            if getattr(self, table):
                data[table] = {k: list(v) if isinstance(v, tuple) else v for k, v in getattr(self, table).items()}
        if self.monte_carlo is not None:
            data["monte_carlo"] = {"samples": self.monte_carlo.samples, "seed": self.monte_carlo.seed}
        data["run"] = self.run.to_dict()
        return data

    def to_toml(self) -> str:
        """The sweep as a sweep file."""
        import tomli_w

        return tomli_w.dumps(_plain_data(self.to_dict()))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Sweep":
        """A sweep from a sweep file's tables; unknown keys are refused by name."""
        unknown = sorted(set(data) - set(SWEEP_KEYS))
        if unknown:
            raise ParameterError(f"{unknown[0]} is not a key of a sweep file; allowed: {', '.join(SWEEP_KEYS)}")
        if "study" not in data:
            raise ParameterError("study is missing; name the study to sweep, e.g. study = \"crossbar-read\"")
        return cls(study=data["study"], base=data.get("base", {}), grid=data.get("grid", {}),
                   zip=data.get("zip", {}), monte_carlo=data.get("monte_carlo"), run=data.get("run", {}))


def load_sweep(path: str | Path) -> tuple[Sweep, str]:
    """The sweep in the TOML file ``path`` and the file's text; errors name the file's key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise ParameterError(f"sweep file {str(path)!r}: no such file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ParameterError(f"sweep file {str(path)!r} cannot be read as TOML: {error}") from None
    return Sweep.from_dict(data), text


def derive_seed(seed: int, coords: Mapping[str, Any], sample: int, spec: FieldSpec | None) -> int:
    """The seed of Monte Carlo sample ``sample`` at the grid point ``coords``: SHA-256 of the
    sweep's seed, the coordinates (canonical JSON) and the sample index, folded into the seed
    field's range. The same on every machine and executor; distinct points get distinct draws."""
    text = json.dumps({"seed": seed, "coords": _plain_data(dict(coords)), "sample": sample},
                      sort_keys=True, separators=(",", ":"))
    number = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
    low = int(spec.low) if spec is not None and spec.low is not None else 0
    high = int(spec.high) if spec is not None and spec.high is not None else 2**31 - 1
    return low + number % (high - low + 1)


# --------------------------------------------------------------------------- helpers


def _plain_data(value: Any) -> Any:
    """Plain dicts and lists for TOML; None values left out (TOML has no null; absent means default)."""
    if isinstance(value, Mapping):
        return {str(k): _plain_data(v) for k, v in value.items() if v is not None}
    if isinstance(value, (tuple, list)):
        return [_plain_data(v) for v in value]
    return value


def _run_options(data: Mapping[str, Any]) -> RunOptions:
    try:
        return RunOptions.from_dict(dict(data))
    except ConfigError as error:
        raise ParameterError(error.describe(f"run.{error.path}")) from None


def _monte_carlo(data: Mapping[str, Any]) -> MonteCarlo:
    unknown = sorted(set(data) - set(MONTE_CARLO_KEYS))
    if unknown:
        raise ParameterError(f"monte_carlo.{unknown[0]} is not a key of [monte_carlo]; allowed: "
                             f"{', '.join(MONTE_CARLO_KEYS)}")
    if "samples" not in data:
        raise ParameterError("monte_carlo.samples is missing; give the number of samples per grid point, e.g. samples = 20")
    return MonteCarlo(samples=data["samples"], seed=data.get("seed", 0))


def _base_data(config_type: type[ConfigBase], base: Mapping[str, Any]) -> dict[str, Any]:
    """The ``[base]`` table as config data, number strings (``"50n"``) parsed by the field types
    as a config file's are (unknown keys are left for ``from_dict`` to refuse by name)."""
    try:
        return parse_strings(config_type, _plain_data(dict(base)))
    except ConfigError as error:
        raise ParameterError(error.describe(f"base.{error.path}")) from None


def _with_values(config_type: type[ConfigBase], base: dict[str, Any], coords: Mapping[str, Any],
                 tables: Mapping[str, str]) -> dict[str, Any]:
    """``base`` with each swept ``path = value`` assigned; errors name ``grid.PATH`` / ``zip.PATH``."""
    data = copy.deepcopy(base)  # assign_path edits nested tables in place
    for path, value in coords.items():
        try:
            assign_path(config_type, data, path.split("."), value, path)
        except ConfigError as error:
            raise ParameterError(error.describe(f"{tables[path]}.{error.path}")) from None
    return data


def _config(config_type: type[ConfigBase], data: dict[str, Any], coords: Mapping[str, Any],
            tables: Mapping[str, str]) -> ConfigBase:
    try:
        return config_type.from_dict(data)
    except ConfigError as error:
        path = error.path.split("[")[0]
        where = "the swept values " + ", ".join(f"{k}={v!r}" for k, v in coords.items()) if coords else "[base]"
        key = f"{tables[path]}.{path}" if path in tables else f"base.{path}"
        raise ParameterError(f"{error.describe(key)} (at {where})") from None
