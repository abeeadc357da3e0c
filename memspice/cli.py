"""``memspice <command>``: the study commands (generated from the registry, :mod:`memspice.cli_study`)
and the catalog commands ``models`` and ``export-va``."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path
from typing import Sequence

from memspice.cli_study import add_debug_option
from memspice.errors import (
    MemspiceError,
    ParameterError,
    SimulationError,
    Terminated,
    clear_pending_interrupt,
    interrupt,
)

_DESCRIPTION = """\
memspice: memristive circuits on real SPICE simulators (ngspice, VACASK).

Builds readable ngspice netlists from a library of memristor compact models, runs them,
and turns the waveforms into figures and numbers. Numbers accept SPICE suffixes
(50n, 16k, 1Meg; note that SPICE reads 'm' as milli, so mega is 'Meg' or 'e6').
"""

def _parse_assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError(f"--set {text!r}: expected PARAM=VALUE, e.g. --set roff=16k")
    return name.strip(), value.strip()


def _add_set_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument(
        "--set", dest="assignments", action="append", default=[], type=_parse_assignment, metavar="PARAM=VALUE",
        help=help_text,
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``memspice`` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="memspice", description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    from memspice import __version__

    parser.add_argument("--version", action="version", version=f"memspice {__version__}")
    add_debug_option(parser, default=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    from memspice.cli_study import add_study_command
    from memspice.studies import all_studies

    for study in all_studies():
        add_study_command(commands, study)

    from memspice.sweeps.cli import add_sweep_command

    add_sweep_command(commands)

    models = commands.add_parser(
        "models",
        help="list the memristor models with their parameters, units and ranges",
        description="List the model catalog: each model's parameters with default, unit, allowed range and meaning.",
    )
    models.add_argument("--show", metavar="MODEL", help="show one model in full (equations, citation, drive, traps)")
    models.add_argument("--json", action="store_true", help="print the catalog as JSON")
    add_debug_option(models)
    models.set_defaults(handler=_run_models)

    export = commands.add_parser(
        "export-va",
        help="write a model as a Verilog-A module (for OpenVAF, Spectre, HSPICE, Xyce, VACASK)",
        description=(
            "Render a catalog model as a Verilog-A module from the same equations as its ngspice subcircuit: "
            "pins pos, neg; the state on an internal node xstate integrated with ddt(); parameters with their "
            "ranges (from ...). Word parameters such as --set window=biolek select the module variant; numeric "
            "--set values become the module's parameter defaults."
        ),
        epilog="example:\n  memspice export-va hp --set window=biolek -o memspice_hp_biolek.va",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("model", help="model name from `memspice models`")
    _add_set_option(export, "parameter default or variant (repeatable)")
    export.add_argument("-o", "--output", type=Path, help="output .va file (default: print to standard output)")
    add_debug_option(export)
    export.set_defaults(handler=_run_export_va)

    return parser


def _run_export_va(args: argparse.Namespace) -> int:
    from memspice.files import write_text_atomic
    from memspice.spicelib import get_model
    from memspice.spicelib.veriloga import render_module

    model = get_model(args.model)
    text = render_module(model, model.resolve_text(dict(args.assignments)))
    if args.output is not None and (args.output.is_dir() or not args.output.name):
        raise ParameterError(f"-o/--output={str(args.output)!r} is a folder; name the .va file to write, "
                             f"e.g. -o {Path(args.output) / (model.subcircuit_name(model.defaults()) + '.va')}")
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(args.output, text)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _catalog_entry(model) -> dict[str, object]:
    return {
        "name": model.name,
        "title": model.title,
        "kind": model.kind,
        "citation": model.citation,
        "doc": model.doc,
        "state": {"name": model.state_name, "unit": model.state_unit, "bounds": model.state_bounds},
        "parameters": [
            {
                "name": p.name, "default": p.default, "unit": p.unit, "range": p.range_text(),
                "low": p.low, "high": p.high, "choices": list(p.choices), "doc": p.doc,
            }
            for p in model.parameters
        ],
        "hysteresis_drive": {
            "kind": model.drive.kind, "amplitude": model.drive.amplitude, "freqs_hz": list(model.drive.freqs_hz),
        },
        "traps": model.traps,
    }


def _run_models(args: argparse.Namespace) -> int:
    from memspice.spicelib import all_models, get_model

    models = [get_model(args.show)] if args.show else all_models()
    if args.json:
        print(json.dumps([_catalog_entry(m) for m in models], indent=2))
        return 0
    for model in models:
        print(f"{model.name}: {model.title} ({model.kind})")
        if args.show:
            print(f"  {model.doc}\n  ref: {model.citation}\n  traps: {model.traps}")
            equations = model.parse(model.resolve()).equations
            output = f"i = {equations.current}" if equations.current else f"v = {equations.voltage}"
            print(f"  equations (default variant): {output};  d{model.state_name}/dt = {equations.state_rate}")
            for helper in equations.helpers:
                print(f"    {helper.name}({', '.join(helper.args)}) = {helper.body}")
            unit = "V" if model.drive.kind == "voltage" else "A"
            freqs = ", ".join(f"{f:g}" for f in model.drive.freqs_hz)
            print(f"  hysteresis drive: {model.drive.kind} {model.drive.amplitude:g} {unit} at {freqs} Hz")
        print(f"  state {model.state_name} [{model.state_unit}]")
        for p in model.parameters:
            default = p.default if isinstance(p.default, str) else f"{p.default:g}"
            print(f"    {p.name:<10} default {default:<10} {p.unit or '-':<10} {p.range_text():<28} {p.doc}")
        print()
    return 0


def _raise_terminated(signum: int, frame: object) -> None:
    interrupt(Terminated)


def _raise_interrupted(signum: int, frame: object) -> None:
    interrupt(KeyboardInterrupt)


#: Exit statuses of an interrupted run: 128 + the signal's number, as shells report them.
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143
#: Exit status of an unexpected exception (a bug): distinct from a failed simulation (1) and bad input (2).
EXIT_INTERNAL = 3


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``memspice`` console script; returns the process exit status.

    0 success; 1 a simulation failed; 2 bad input (refused before anything ran); 3 an internal
    error (a bug; ``--debug`` shows its traceback, as it does for the others); 130 / 143
    interrupted by Ctrl-C / SIGTERM (the simulator is stopped, temporary folders removed,
    files already written kept, and ``summary.json`` missing where the run did not finish).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    previous = None
    if _in_main_thread():
        previous = (signal.signal(signal.SIGTERM, _raise_terminated), signal.signal(signal.SIGINT, _raise_interrupted))
    try:
        return args.handler(args)
    except SimulationError as exc:
        _show_traceback(debug)
        print(f"memspice: simulation failed: {exc}", file=sys.stderr)
        return 1
    except MemspiceError as exc:
        _show_traceback(debug)
        print(f"memspice: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("memspice: interrupted (Ctrl-C); the simulator was stopped, the run is incomplete", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("memspice: terminated (SIGTERM); the simulator was stopped, the run is incomplete", file=sys.stderr)
        return EXIT_TERMINATED
    except Exception as exc:  # a bug, not bad input: one line, the traceback with --debug
        if debug:
            raise
        print(f"memspice: internal error: {type(exc).__name__}: {exc} (a bug in memspice; "
              "run again with --debug for the traceback and report it)", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        clear_pending_interrupt()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous[0])
            signal.signal(signal.SIGINT, previous[1])


def _show_traceback(debug: bool) -> None:
    if debug:
        import traceback

        traceback.print_exc()


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
