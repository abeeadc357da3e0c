"""``memspice STUDY``: one command per registered study, its options generated from the config.

Every field of the study's config becomes an option (``--points-per-cycle`` for
``points_per_cycle``, or the name the field's :class:`~memspice.config.FieldSpec` gives),
with its doc, unit, default and allowed range as help; a table field (model parameters)
becomes a repeatable ``--set NAME=VALUE``; a ``bool`` field the pair ``--NAME`` /
``--no-NAME``; a list option takes ``X1,X2,...`` or, like a matrix option
(``tuple[tuple[float, ...], ...]``), a ``.npy``/``.csv`` file whose numbers go into the config
(so ``--print-config`` writes the numbers, not the file name). Every study command also takes

* ``--config FILE.toml``: start from that file (options given on the command line override it);
* ``--print-config``: print the effective config as TOML and exit (nothing is simulated);
* ``--engine`` and ``--timeout``: the run options, apart from what is simulated;
* ``--out DIR``: the report folder.

A bad value is refused before any simulation, naming the option as typed (or the key of
the file), the value and what is allowed.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
import typing
from dataclasses import MISSING
from pathlib import Path
from typing import Any, Mapping, NamedTuple

from memspice.config import (
    ConfigBase,
    ConfigError,
    FieldSpec,
    array_depth,
    assign_path,
    is_table,
    load_toml_data,
    strip_optional,
)
from memspice.engine.options import RunOptions
from memspice.files import claimed_output_folder
from memspice.errors import ParameterError, RunInterrupted
from memspice.studies.base import Study
from memspice.studies.report import incomplete_run


class _Option(NamedTuple):
    path: str
    flag: str
    dest: str
    is_table: bool


def _flag_name(path: str, spec: FieldSpec | None) -> str:
    return "--" + (spec.cli if spec is not None and spec.cli else path.rsplit(".", 1)[-1].replace("_", "-"))


def _help(spec: FieldSpec | None, default: Any, *, is_table: bool) -> str:
    """``doc (default ...; allowed ...)`` for an option's --help line."""
    if spec is None:
        return argparse.SUPPRESS
    notes = []
    if is_table:
        notes.append("repeatable")
    elif default is MISSING:
        notes.append("required")
    elif default is not None and default != ():
        notes.append(f"default {_show(default)}")
    if (spec.low is not None or spec.high is not None) and not is_table:
        notes.append(f"allowed {spec.range_text()}")
    elif spec.unit and not spec.choices:
        notes.append(f"unit {spec.unit}")
    text = spec.doc + (f" ({'; '.join(notes)})" if notes else "")
    return text.replace("%", "%%")


def _metavar(option: "_Option", annotation: Any, spec: FieldSpec | None) -> str:
    if spec is not None and spec.choices:
        return "{" + ",".join(spec.choices) + "}"
    if array_depth(annotation) > 1:
        return "FILE.npy|FILE.csv"
    if typing.get_origin(strip_optional(annotation)[0]) is tuple:
        return "X1,X2,..."
    return option.flag[2:].upper().replace("-", "_")


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(_show(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=VALUE, e.g. roff=16k")
    return name.strip(), value.strip()


def _options_of(config_type: type[ConfigBase], prefix: str) -> list[tuple[_Option, Any, FieldSpec | None, Any]]:
    found = []
    for path, annotation, spec, default in config_type.field_specs():
        flag = _flag_name(path, spec)
        found.append((_Option(path, flag, f"{prefix}{path.replace('.', '__')}", is_table(annotation)), annotation, spec, default))
    return found


def add_debug_option(parser: argparse.ArgumentParser, *, default: Any = argparse.SUPPRESS) -> None:
    """``--debug``: print the traceback of a failure (before its one-line message)."""
    parser.add_argument("--debug", action="store_true", default=default,
                        help="on a failure, print the Python traceback too (for bug reports)")


def add_study_command(commands: argparse._SubParsersAction, study: Study) -> None:
    """Add ``memspice <study.name>`` with the options of its config and the run options."""
    parser = commands.add_parser(
        study.name, help=study.title, description=textwrap.fill(study.description, 90), epilog=study.epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    config_options = _options_of(study.Config, "config__")
    run_options = _options_of(RunOptions, "run__")
    seen: dict[str, str] = {}
    for option, annotation, spec, default in (*config_options, *run_options):
        if option.flag in seen:
            raise ValueError(f"study {study.name}: {option.path} and {seen[option.flag]} would both be {option.flag}")
        seen[option.flag] = option.path
        if option.is_table:
            parser.add_argument(option.flag, dest=option.dest, action="append", default=[], type=_assignment,
                                metavar="NAME=VALUE", help=_help(spec, default, is_table=True))
        elif strip_optional(annotation)[0] is bool:
            parser.add_argument(option.flag, dest=option.dest, default=None, action=argparse.BooleanOptionalAction,
                                help=_help(spec, default, is_table=False))
        else:
            parser.add_argument(option.flag, dest=option.dest, default=None, metavar=_metavar(option, annotation, spec),
                                help=_help(spec, default, is_table=False))
    parser.add_argument("--config", type=Path, metavar="FILE.toml",
                        help="read the config from a TOML file (as --print-config writes it); options override it")
    parser.add_argument("--print-config", action="store_true", help="print the effective config as TOML and exit")
    add_debug_option(parser)
    parser.add_argument("--out", metavar="DIR", help="output folder (created if missing; checked and locked before anything runs)")
    parser.set_defaults(handler=lambda args: _run(study, args, config_options, run_options))


def _collect(config_type: type[ConfigBase], options, args: argparse.Namespace, base: dict[str, Any]) -> tuple[dict, dict]:
    """``base`` with every option the user gave applied; returns (data, path -> flag typed)."""
    data = dict(base)
    typed: dict[str, str] = {}
    for option, _annotation, _spec, _default in options:
        value = getattr(args, option.dest)
        if option.is_table:
            names = [name for name, _ in value]
            repeated = sorted({name for name in names if names.count(name) > 1})
            if repeated:
                given = ", ".join(text for name, text in value if name == repeated[0])
                raise ParameterError(f"{option.flag} {repeated[0]} is given {names.count(repeated[0])} times ({given}); "
                                     "give each name once")
            for name, text in value:
                assign_path(config_type, data, f"{option.path}.{name}".split("."), text, f"{option.path}.{name}")
                typed[f"{option.path}.{name}"] = f"{option.flag} {name}"
            if value:
                typed[option.path] = option.flag
        elif value is not None:
            assign_path(config_type, data, option.path.split("."), value, option.path)
            typed[option.path] = option.flag
    return data, typed


def _build(config_type: type[ConfigBase], data: dict, typed: dict[str, str], source: str, options) -> ConfigBase:
    """The config from ``data``; an error names the option the user typed, else the file's key,
    else the option that would set the field."""
    try:
        return config_type.from_dict(data)
    except ConfigError as error:
        path = error.path.split("[")[0]
        name = typed.get(error.path) or typed.get(path)
        if name is None:
            name = f"{path} ({source})" if source else _flag_for(path, options)
        raise ParameterError(error.describe(name, _given(data, path))) from None


def _given(data: Mapping[str, Any], path: str) -> Any:
    """The value at dotted ``path`` of ``data`` (as a tuple when it is a list), None when absent."""
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    if isinstance(value, list):
        return tuple(tuple(v) if isinstance(v, list) else v for v in value)
    return value


def _run(study: Study, args: argparse.Namespace, config_options, run_options) -> int:
    base: dict[str, Any] = load_toml_data(study.Config, args.config) if args.config is not None else {}
    try:
        data, typed = _collect(study.Config, config_options, args, base)
    except ConfigError as error:
        raise ParameterError(error.describe(_flag_for(error.path, config_options))) from None
    source = f"in {args.config}" if args.config is not None else ""
    config = _build(study.Config, data, typed, source, config_options)
    try:
        run_data, run_typed = _collect(RunOptions, run_options, args, {})
    except ConfigError as error:
        raise ParameterError(error.describe(_flag_for(error.path, run_options))) from None
    options = _build(RunOptions, run_data, run_typed, "", run_options)
    if args.print_config:
        sys.stdout.write(config.to_toml())
        return 0
    if args.out is None:
        raise ParameterError(f"memspice {study.name}: --out DIR is required (or --print-config)")

    def progress(done: int, total: int, label: str, wall_s: float) -> None:
        print(f"[{done}/{total}] {label} simulated in {wall_s:.3f} s", file=sys.stderr)

    study.check_cost(config, options)  # a run too large for its caps is refused before the folder is touched
    if options.workers > 1 and not study.parallel:
        from memspice.studies import all_studies

        parallel = ", ".join(s.name for s in all_studies() if s.parallel)
        raise ParameterError(f"--workers={options.workers} does not apply to {study.name}, whose simulations depend "
                             f"on each other or are one; allowed: 1 (the default), or a study of independent points: "
                             f"{parallel}")
    started = time.perf_counter()
    with claimed_output_folder(str(args.out)) as folder:  # checked and locked before anything runs
        try:
            with _executor(options) as executor:
                result = study.execute(config, options, progress=progress, executor=executor)
        except RunInterrupted as stop:
            _keep_finished_points(study, stop, folder, args.out)
            raise stop.cause from None
        written = study.report(result, folder)
    for line in study.summary_lines(result):
        print(line)
    print(f"wrote {len(written)} files to {args.out} in {time.perf_counter() - started:.2f} s")
    return 0


def _executor(options: RunOptions) -> Any:
    """A process pool of ``--workers`` processes (stopped, simulators included, if the run is
    interrupted), or no executor for one worker."""
    import contextlib

    if options.workers == 1:
        return contextlib.nullcontext(None)
    from memspice.sweeps.executors import PoolExecutor

    return PoolExecutor(options.workers)


def _keep_finished_points(study: Study, stop: RunInterrupted, folder: Path, shown: str) -> None:
    """Report the points that finished before Ctrl-C / SIGTERM, marked incomplete. A second
    signal while this runs ends the program as the first would have."""
    stopped_by = "SIGINT" if isinstance(stop.cause, KeyboardInterrupt) else "SIGTERM"
    with incomplete_run(stop.done, stop.total, stopped_by):
        written = study.report(stop.partial, folder)
    print(f"memspice: kept the {stop.done} finished of {stop.total} points: {len(written)} files in {shown} "
          f"(summary.json says \"complete\": false)", file=sys.stderr)


def _flag_for(path: str, options) -> str:
    for option, *_ in options:
        if path == option.path or path.startswith(option.path + "."):
            return option.flag
    return path
