"""``memspice <command>``: parse options, call an experiment, write files. Nothing else lives here."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from memspice.errors import MemspiceError, ParameterError, SimulationError
from memspice.units import parse_spice_number

if TYPE_CHECKING:
    import numpy

_DESCRIPTION = """\
memspice: memristive circuits on a real SPICE simulator (ngspice).

Builds readable ngspice netlists from a library of memristor compact models, runs them,
and turns the waveforms into figures and numbers. Numbers accept SPICE suffixes
(50n, 16k, 1Meg; note that SPICE reads 'm' as milli, so mega is 'Meg' or 'e6').
"""

def _parse_assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError(f"--set {text!r}: expected PARAM=VALUE, e.g. --set roff=16k")
    return name.strip(), value.strip()


def _parse_number(text: str) -> float:
    try:
        return parse_spice_number(text)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _out_dir(text: str) -> Path:
    """``--out``: a folder, or a path where one can be made; refused before any simulation
    when it names an existing file."""
    path = Path(text)
    for parent in (path, *path.parents):
        if parent.exists():
            if not parent.is_dir():
                raise argparse.ArgumentTypeError(f"{text!r} cannot be an output folder: {parent} is an existing file")
            break
    return path


def _add_out_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, type=_out_dir, metavar="DIR", help="output folder (created if missing)")


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
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    from memspice.cli_study import add_study_command
    from memspice.studies import all_studies

    for study in all_studies():
        add_study_command(commands, study, out_dir_type=_out_dir)

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
    _add_set_option(export, "parameter default or variant (repeatable)")
    export.add_argument("-o", "--output", type=Path, help="output .va file (default: print to standard output)")
    export.set_defaults(handler=_run_export_va)

    read = commands.add_parser(
        "crossbar-read",
        help="read a crossbar with wire resistance: column currents vs the ideal product Gᵀ·V",
        description=(
            "Build a rows x cols crossbar (word lines driven at the left end, bit lines sunk into 0 V at the bottom, "
            "a wire segment of r_word / r_bit between neighbouring cross-points: badcrossbar's topology), apply DC "
            "inputs, simulate, and compare the column currents with the ideal product Gᵀ·V. Fixed-conductance 0T1R "
            "arrays are also solved with scipy as an independent check. Large arrays run in VACASK (KLU) when it is "
            "installed (--engine auto)."
        ),
        epilog=(
            "outputs in DIR: currents.csv (col,i_ideal_A,i_sim_A,rel_error[,i_reference_A]; rel_error relative to "
            "the largest ideal column current), crossbar_read.png, the netlist, summary.json (RMSE, max error, worst "
            "column, engine, t_generate_s, t_simulate_s, t_parse_s)\n\nexample:\n"
            "  memspice crossbar-read --rows 64 --cols 64 --pattern random --v-read 0.2 --r-word 1 --r-bit 1 --out out/xb"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    read.add_argument("--rows", type=int, help="word lines (inferred from --conductances when given)")
    read.add_argument("--cols", type=int, help="bit lines (inferred from --conductances when given)")
    read.add_argument("--conductances", type=Path, metavar="G.npy", help="(rows, cols) conductance matrix in S")
    read.add_argument("--g-on", type=_parse_number, default=1e-4, help="ON conductance in S (default 100u)")
    read.add_argument("--g-off", type=_parse_number, default=1e-6, help="OFF conductance in S (default 1u)")
    read.add_argument(
        "--pattern", choices=("random", "worst", "checkerboard"), default="random",
        help="ON/OFF pattern when no --conductances: random (seeded), worst (all ON), checkerboard",
    )
    read.add_argument("--seed", type=int, default=0, help="seed of the random pattern (default 0)")
    read.add_argument("--inputs", type=Path, metavar="V.npy", help="(rows,) word-line voltages in V")
    read.add_argument("--v-read", type=_parse_number, default=0.2, help="read voltage on every word line, V (default 0.2)")
    read.add_argument("--r-word", type=_parse_number, default=0.0, help="word-line segment resistance in Ω (default 0)")
    read.add_argument("--r-bit", type=_parse_number, default=0.0, help="bit-line segment resistance in Ω (default 0)")
    read.add_argument("--cell", choices=("0T1R", "1S1R", "1T1R"), default="0T1R", help="cell type (default 0T1R)")
    read.add_argument("--gate-voltage", type=_parse_number, default=1.2, help="1T1R gate voltage in V (default 1.2)")
    read.add_argument(
        "--engine", choices=("auto", "shared", "subprocess", "vacask"), default="auto",
        help="auto (default): VACASK for large arrays when installed, else ngspice in-process",
    )
    _add_out_option(read)
    read.set_defaults(handler=_run_crossbar_read)

    margin = commands.add_parser(
        "read-margin",
        help="read margin of the far-corner cell vs array size, worst data pattern, 0T1R beside 1S1R",
        description=(
            "For each size N, an N x N array with every unselected cell ON (the worst pattern), the selected cell "
            "at the far corner (row 0, last column) read ON and OFF; unselected lines biased at V/2 (v2), V/3 and "
            "2V/3 (v3) or left floating (float). Reports (I_on - I_off)/I_on of the selected bit line's current."
        ),
        epilog="example:\n  memspice read-margin --sizes 8,16,32,64 --cell 0T1R --cell 1S1R --bias v2 --out out/margin",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    margin.add_argument("--sizes", default="8,16,32,64", help="array sizes N, comma separated (default 8,16,32,64)")
    margin.add_argument(
        "--cell", dest="cells", action="append", choices=("0T1R", "1S1R"),
        help="cell kind (repeatable; default both)",
    )
    margin.add_argument("--g-on", type=_parse_number, default=1e-4, help="ON conductance in S (default 100u)")
    margin.add_argument("--g-off", type=_parse_number, default=1e-6, help="OFF conductance in S (default 1u)")
    margin.add_argument(
        "--v-read", type=_parse_number, default=0.8,
        help="read voltage in V (default 0.8: above the default selector's 0.5 V threshold, V/2 below it)",
    )
    margin.add_argument("--bias", choices=("v2", "v3", "float"), default="v2", help="unselected-line biasing (default v2)")
    margin.add_argument("--r-wire", type=_parse_number, default=1.0, help="segment resistance of every line in Ω (default 1)")
    margin.add_argument("--engine", choices=("auto", "shared", "subprocess", "vacask"), default="auto", help="simulator")
    _add_out_option(margin)
    margin.set_defaults(handler=_run_read_margin)

    return parser


def _run_read_margin(args: argparse.Namespace) -> int:
    from memspice.experiments.read_margin import ReadMarginConfig, run_read_margin, write_read_margin_report

    try:
        sizes = tuple(int(part) for part in args.sizes.split(",") if part.strip())
    except ValueError:
        raise ParameterError(f"--sizes={args.sizes!r}: give integers separated by commas, e.g. 8,16,32") from None
    config = ReadMarginConfig(
        sizes=sizes, cells=tuple(args.cells or ("0T1R", "1S1R")), g_on_S=args.g_on, g_off_S=args.g_off,
        v_read_V=args.v_read, scheme=args.bias, r_wire_ohm=args.r_wire, engine=args.engine,
    )

    def progress(size: int, cell: str, wall_s: float) -> None:
        print(f"{cell} {size}x{size}: read ON and OFF in {wall_s:.2f} s", file=sys.stderr)

    result = run_read_margin(config, progress=progress)
    written = write_read_margin_report(result, args.out)
    print(result.table[["size", "cell", "i_on_A", "i_off_A", "margin"]].to_string(index=False))
    print(f"wrote {len(written)} files to {args.out}")
    return 0


def _load_array(path: Path, *, what: str) -> "numpy.ndarray":
    import numpy as np

    try:
        if Path(path).suffix.lower() in (".csv", ".txt"):
            return np.loadtxt(path, delimiter=",", ndmin=2)
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise ParameterError(f"{what}: cannot read {path} as a .npy array or a comma-separated table ({exc})") from None


def _run_crossbar_read(args: argparse.Namespace) -> int:
    import numpy as np

    from memspice.experiments.crossbar_read import (
        CrossbarReadConfig,
        conductance_pattern,
        run_crossbar_read,
        write_crossbar_read_report,
    )

    if args.conductances is not None:
        conductance = _load_array(args.conductances, what="--conductances")
        pattern = args.conductances.name
        if conductance.ndim == 2 and any(
            given is not None and given != actual for given, actual in zip((args.rows, args.cols), conductance.shape)
        ):
            raise ParameterError(
                f"--conductances has shape {conductance.shape} but --rows/--cols say ({args.rows}, {args.cols})"
            )
    else:
        if args.rows is None or args.cols is None:
            raise ParameterError("give --rows and --cols (or --conductances G.npy)")
        for name, value in (("--rows", args.rows), ("--cols", args.cols)):
            if not 1 <= value <= 4096:
                raise ParameterError(f"{name}={value} must be in [1, 4096]")
        conductance = conductance_pattern(
            args.rows, args.cols, g_on_S=args.g_on, g_off_S=args.g_off, pattern=args.pattern, seed=args.seed
        )
        pattern = args.pattern
    rows = conductance.shape[0] if conductance.ndim == 2 else 0
    inputs = _load_array(args.inputs, what="--inputs") if args.inputs is not None else np.full(rows, args.v_read)
    config = CrossbarReadConfig(
        conductance, inputs, r_word_ohm=args.r_word, r_bit_ohm=args.r_bit, cell=args.cell,
        gate_voltage_V=args.gate_voltage, engine=args.engine, pattern=pattern,
    )
    print(f"simulating {config.crossbar.rows}x{config.crossbar.cols} {config.cell} array ...", file=sys.stderr)
    result = run_crossbar_read(config)
    written = write_crossbar_read_report(result, args.out)
    errors = result.errors()
    print(
        f"engine {result.backend}: rmse {100 * errors['rmse_rel']:.3g} % of full scale, max error "
        f"{100 * errors['max_rel_error']:.3g} % (column {errors['worst_col']}); generate {result.t_generate_s:.3f} s, "
        f"simulate {result.t_simulate_s:.3f} s, parse {result.t_parse_s:.3f} s"
    )
    print(f"wrote {len(written)} files to {args.out}")
    return 0


def _run_export_va(args: argparse.Namespace) -> int:
    from memspice.files import write_text_atomic
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

    return _overrides(get_model(model_name), assignments)


def _overrides(model, assignments: Sequence[tuple[str, str]]) -> dict[str, float | str]:
    """``--set NAME=TEXT`` pairs as parameter values: numbers parsed with SPICE suffixes, words kept."""
    overrides: dict[str, float | str] = {}
    for name, text in assignments:
        parameter = model.parameter(name)
        overrides[name] = text if parameter.is_choice else parse_spice_number(text, name=f"{model.name}.{name}")
    return overrides


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
