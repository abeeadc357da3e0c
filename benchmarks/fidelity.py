"""Fidelity: every catalog model and variant against its paper's own equations (issue 10).

For each model and variant, at each of its three recommended frequencies (``get_model(name).drive``),
memspice's hysteresis study runs in each engine (3 periods, 400 points per period unless
``--points-per-cycle`` says otherwise; issue 10's first table used 1000) and the
undriven quantity of the last period (the current under a voltage drive, the voltage under a
current drive) is compared with the independent reference of ``tests/paper_models.py``:
error = max |sim − paper| / max |paper| over the last period, in %.

Besides the recommended drives, one current-driven HP case reaches both hard bounds:
``hp`` window=none, 0.5 mA at 1 Hz (µv·Ron/D²·2A/ω = 1.6: each half period sweeps x across its
whole range, so x goes from 0.1 into 1, is held there until the current reverses, then into 0).
``stanford_pku`` variation=on runs with sigma_var=0 (deterministic) and is referenced as
variation off. Columns: error per engine, the state's range per engine and in the paper's
equations, and each engine's simulation wall time (s).

The error is a max norm: where the paper's switching is a runaway (stanford_pku at 1 kHz sets
from µA to mA within 10 ps, and a 1e-6 change of the drive moves that jump by 0.9 ns) a switch a
fraction of a time step early or late reads as ~100 %. For those models (``paper_models.ABRUPT``)
the table also gives the error with the jump allowed ±1e-3 of a period (in brackets).

Usage: python benchmarks/fidelity.py [--engines ngspice,vacask] [--models hp,vteam] [--points-per-cycle 400]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
try:
    import memspice  # noqa: F401
except ImportError:  # running from a checkout without installing: use the checkout
    sys.path.insert(0, str(ROOT))

from paper_models import ABRUPT, ABRUPT_TIME_TOLERANCE, last_period_error, paper_reference

from memspice.engine.options import RunOptions
from memspice.errors import MemspiceError
from memspice.spicelib import all_models
from memspice.spicelib.catalog import variants
from memspice.studies.hysteresis import HysteresisConfig, run_hysteresis

#: Engine names of --engines: "ngspice" is memspice's default backend (auto picks it for one device).
ENGINES = {"ngspice": "auto", "shared": "shared", "subprocess": "subprocess", "vacask": "vacask"}
#: (model, variant choices, drive, amplitude, frequencies Hz) run besides the recommended drives.
EXTRA_CASES = (("hp", {"window": "none"}, "current", 5e-4, (1.0,)),)


def cases(models: list[str]):
    """(model, params, drive, amplitude, freqs_hz) for every variant of every model asked for."""
    for model in all_models():
        if model.name not in models:
            continue
        for values in variants(model):
            choices = {p.name: values[p.name] for p in model.parameters if p.is_choice}
            if choices.get("variation") == "on":
                choices["sigma_var"] = 0.0
            yield model.name, choices, model.drive.kind, model.drive.amplitude, model.drive.freqs_hz
        yield from (case for case in EXTRA_CASES if case[0] == model.name)


def measure(model, params, drive, amplitude, freq_hz, engine, points_per_cycle):
    """(time s, undriven quantity, state min, state max, wall time s) of one run, or the error message."""
    config = HysteresisConfig(model=model, params=params, drive=drive, amplitude=amplitude, freqs_hz=(freq_hz,),
                              cycles=3, points_per_cycle=points_per_cycle)
    try:
        run = run_hysteresis(config, options=RunOptions(engine=engine)).runs[0]
    except MemspiceError as error:
        return str(error).splitlines()[0]
    waves = run.waveforms
    undriven = waves["i_A"] if drive == "voltage" else waves["v_V"]
    return waves["time_s"].to_numpy(), undriven.to_numpy(), waves["state"].min(), waves["state"].max(), run.wall_time_s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default="ngspice,vacask", help=f"comma-separated, of {', '.join(ENGINES)}")
    parser.add_argument("--models", default=",".join(m.name for m in all_models()), help="comma-separated model names")
    parser.add_argument("--points-per-cycle", type=int, default=400, help="maximum time step = period / this")
    args = parser.parse_args(argv)
    engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    unknown = [name for name in engines if name not in ENGINES]
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(unknown)}; use {', '.join(ENGINES)}")
    models = [name.strip() for name in args.models.split(",") if name.strip()]
    catalog = [m.name for m in all_models()]
    if unknown := [name for name in models if name not in catalog]:
        parser.error(f"unknown model(s) {', '.join(unknown)}; use {', '.join(catalog)}")

    header = ["model", "variant", "drive", "freq (Hz)", *(f"error {e} (%)" for e in engines),
              *(f"state range {e}" for e in engines), "state range paper", *(f"run time {e} (s)" for e in engines)]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    failures = []
    started = time.perf_counter()
    for model, params, drive, amplitude, freqs in cases(models):
        variant = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()) or "-"
        unit = "V" if drive == "voltage" else "A"
        for freq in freqs:
            ref = paper_reference(model, params, drive=drive, amplitude=amplitude, freq_hz=freq, cycles=3)
            errors, ranges, times = [], [], []
            for engine in engines:
                result = measure(model, params, drive, amplitude, freq, ENGINES[engine], args.points_per_cycle)
                if isinstance(result, str):
                    failures.append(f"{model} ({variant}) {freq:g} Hz, {engine}: {result}")
                    errors.append("failed"), ranges.append("-"), times.append("-")
                    continue
                sim_t, sim_y, low, high, wall = result
                text = f"{100 * last_period_error(sim_t, sim_y, ref):.3g}"
                if model in ABRUPT:
                    banded = last_period_error(sim_t, sim_y, ref, time_tolerance_s=ABRUPT_TIME_TOLERANCE / freq)
                    text += f" ({100 * banded:.3g} within ±{ABRUPT_TIME_TOLERANCE:g} T)"
                errors.append(text)
                ranges.append(f"{low:.4g} … {high:.4g}")
                times.append(f"{wall:.3g}")
            paper_range = f"{ref['state'].min():.4g} … {ref['state'].max():.4g}"
            row = [model, variant, f"{drive} {amplitude:g} {unit}", f"{freq:g}", *errors, *ranges, paper_range, *times]
            print("| " + " | ".join(row) + " |", flush=True)
    for failure in failures:
        print(f"\nfailed: {failure}")
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
