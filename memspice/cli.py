"""``memspice <command>``: parse options, call an experiment, write files. Nothing else lives here."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Sequence

from memspice.errors import MemspiceError, ParameterError, SimulationError
from memspice.units import parse_spice_number

_DESCRIPTION = """\
memspice: memristive circuits on a real SPICE simulator (ngspice).

Builds readable ngspice netlists from a library of memristor compact models, runs them,
and turns the waveforms into figures and numbers. Numbers accept SPICE suffixes
(50n, 16k, 1Meg; note that SPICE reads 'm' as milli, so mega is 'Meg' or 'e6').
"""

_HYSTERESIS_EPILOG = """\
outputs in DIR:
  waveforms.csv      freq_hz,time_s,v_V,i_A,state (one block of rows per frequency)
  fingerprints.csv   freq_hz,lobe_area,lobe_area_norm,pinch_ratio,v_max_V,i_max_A
  hysteresis.png     pinched V-I loops per frequency + lobe area vs frequency
  summary.json       fingerprint verdicts (pinched, area decreasing, collapse) and numbers
  *.cir              the netlists that were run (plain `ngspice -b FILE` runs each)

example:
  memspice hysteresis --model hp --set window=biolek --freq 1,10,100 --out out/hp
"""


def _parse_assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError(f"--set {text!r}: expected PARAM=VALUE, e.g. --set roff=16k")
    return name.strip(), value.strip()


def _parse_frequencies(text: str) -> tuple[float, ...]:
    try:
        return tuple(parse_spice_number(part, name="--freq") for part in text.split(",") if part.strip())
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _parse_number(text: str) -> float:
    try:
        return parse_spice_number(text)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``memspice`` and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="memspice", description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    from memspice import __version__

    parser.add_argument("--version", action="version", version=f"memspice {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    hysteresis = commands.add_parser(
        "hysteresis",
        help="frequency-dependent pinched hysteresis of a memristor model",
        description=(
            "Drive one memristor with a sine at each frequency, simulate a few periods in ngspice, and judge "
            "the three memristor fingerprints on the last period: a loop pinched at the origin, lobe area "
            "decreasing with frequency, and collapse at high frequency. Unset drive options take the model's "
            "recommended drive (see `memspice models --show MODEL`)."
        ),
        epilog=_HYSTERESIS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    hysteresis.add_argument("--model", required=True, help="model name from `memspice models` (e.g. hp, vteam, chua)")
    hysteresis.add_argument(
        "--set", dest="assignments", action="append", default=[], type=_parse_assignment, metavar="PARAM=VALUE",
        help="override a model parameter, SI units (repeatable), e.g. --set window=biolek --set roff=16k",
    )
    hysteresis.add_argument("--drive", choices=("voltage", "current"), help="sine voltage or current source")
    hysteresis.add_argument("--amplitude", type=_parse_number, help="drive amplitude in V (voltage) or A (current)")
    hysteresis.add_argument(
        "--freq", type=_parse_frequencies, metavar="F1,F2,...", help="drive frequencies in Hz, comma separated (e.g. 1,10,100)"
    )
    hysteresis.add_argument("--cycles", type=int, default=3, help="periods simulated per frequency; the last is analysed (default 3)")
    hysteresis.add_argument(
        "--points-per-cycle", type=int, default=1000, help="time points per period (max time step = period/K, default 1000)"
    )
    hysteresis.add_argument(
        "--engine", choices=("shared", "subprocess", "vacask"),
        help="ngspice in-process (shared, default), `ngspice -b` (subprocess), or VACASK with the Verilog-A export "
        "(needs `pip install memspice[veriloga]`)",
    )
    hysteresis.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder (created if missing)")
    hysteresis.set_defaults(handler=_run_hysteresis)

    models = commands.add_parser(
        "models",
        help="list the memristor models with their parameters, units and ranges",
        description="List the model catalog: each model's parameters with default, unit, allowed range and meaning.",
    )
    models.add_argument("--show", metavar="MODEL", help="show one model in full (equations, citation, drive, traps)")
    models.add_argument("--json", action="store_true", help="print the catalog as JSON")
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
    export.add_argument(
        "--set", dest="assignments", action="append", default=[], type=_parse_assignment, metavar="PARAM=VALUE",
        help="parameter default or variant (repeatable)",
    )
    export.add_argument("-o", "--output", type=Path, help="output .va file (default: print to standard output)")
    export.set_defaults(handler=_run_export_va)
    return parser


def _run_export_va(args: argparse.Namespace) -> int:
    from memspice.experiments.output import write_text_atomic
    from memspice.spicelib import get_model
    from memspice.spicelib.veriloga import render_module

    model = get_model(args.model)
    text = render_module(model, model.resolve(_model_overrides(args.model, args.assignments)))
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(args.output, text)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


def _model_overrides(model_name: str, assignments: Sequence[tuple[str, str]]) -> dict[str, float | str]:
    from memspice.spicelib import get_model

    model = get_model(model_name)
    overrides: dict[str, float | str] = {}
    for name, text in assignments:
        parameter = model.parameter(name)
        overrides[name] = text if parameter.is_choice else parse_spice_number(text, name=f"{model.name}.{name}")
    return overrides


def _run_hysteresis(args: argparse.Namespace) -> int:
    from memspice.experiments.hysteresis import HysteresisConfig, run_hysteresis, write_hysteresis_report

    config = HysteresisConfig(
        model=args.model,
        params=_model_overrides(args.model, args.assignments),
        drive=args.drive,
        amplitude=args.amplitude,
        freqs_hz=args.freq,
        cycles=args.cycles,
        points_per_cycle=args.points_per_cycle,
        engine=args.engine,
    )

    def progress(index: int, total: int, freq_hz: float, wall_s: float) -> None:
        print(f"[{index}/{total}] {freq_hz:g} Hz simulated in {wall_s:.3f} s", file=sys.stderr)

    started = time.perf_counter()
    result = run_hysteresis(config, progress=progress)
    written = write_hysteresis_report(result, args.out)
    for r in result.runs:
        fp = r.fingerprint
        print(f"{fp.freq_hz:>12g} Hz  lobe_area_norm={fp.lobe_area_norm:.4g}  pinch_ratio={fp.pinch_ratio:.2e}")
    if result.verdicts is not None:
        v = result.verdicts
        print(
            f"pinched={v.pinched} area_decreasing={v.area_decreasing} "
            f"high_frequency_collapse={v.high_frequency_collapse} -> memristor fingerprints: {v.is_memristor}"
        )
    print(f"wrote {len(written)} files to {args.out} in {time.perf_counter() - started:.2f} s")
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``memspice`` console script; returns the process exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except SimulationError as exc:
        print(f"memspice: simulation failed: {exc}", file=sys.stderr)
        return 1
    except MemspiceError as exc:
        print(f"memspice: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
