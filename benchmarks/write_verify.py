"""Write-verify cost per pulse, per engine: one simulator run per pulse against the batched loop.

For each size N (N×N VTEAM write device, random targets from ``--seed``, at most 8 pulses per
cell, ideal wires) and each engine, the same write-verify (:func:`memspice.studies.programming.write_verify`,
after the same initial read and calibration) runs twice in one process:

* per pulse: ``rows_together=False``, one simulator run per pulse (what every engine did before);
* default: what ``memspice program`` does now: with VACASK the next pulse of every row in one
  VACASK process (:func:`memspice.engine.runner.run_many`); ngspice keeps one run per pulse, so
  its default equals the first line and is not run twice.

Columns: pulses, wall time per pulse (ms) of each, their ratio, and whether both gave the same
pulses and final conductances (largest relative difference).

Usage: python benchmarks/write_verify.py [--sizes 4,8] [--engines vacask,shared] [--seed 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

try:
    import memspice  # noqa: F401
except ImportError:  # running from a checkout without installing: use the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from memspice.engine.options import RunOptions
from memspice.studies.programming import ProgramConfig, _read_all, calibrate, write_verify


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="4,8", help="array sizes N (N×N), comma-separated")
    parser.add_argument("--engines", default="vacask,shared", help="engines, comma-separated")
    parser.add_argument("--seed", type=int, default=3, help="seed of the random targets and pattern")
    args = parser.parse_args(argv)
    sizes = [int(part) for part in args.sizes.split(",") if part.strip()]
    engines = [part.strip() for part in args.engines.split(",") if part.strip()]
    print("write-verify, VTEAM write device, at most 8 pulses per cell, ideal wires; ms per pulse, wall clock")
    print(f"{'N':>3s} {'engine':8s} {'pulses':>6s} {'per pulse ms':>12s} {'default ms':>10s} {'ratio':>6s} "
          f"{'same pulses':>11s} {'max rel dG':>10s}")
    for size in sizes:
        config = ProgramConfig(rows=size, cols=size, seed=args.seed, max_pulses=8)
        for engine in engines:
            options = RunOptions(engine=engine)
            states0 = config.initial_states()
            initial, _ = _read_all(config, states0, "initial_read", options)
            calibration = calibrate(config, options=options)
            timings, results = {}, {}
            for mode in ((False, None) if engine == "vacask" else (False,)):
                started = time.perf_counter()
                results[mode], _, _ = write_verify(config, calibration, states0, initial, options=options,
                                                   rows_together=mode)
                timings[mode] = time.perf_counter() - started
            pulses = int(results[False].pulses.sum())
            per_pulse = 1e3 * timings[False] / pulses
            default = results.get(None, results[False])
            default_ms = 1e3 * timings.get(None, timings[False]) / pulses
            same = bool(np.array_equal(default.pulses, results[False].pulses))
            difference = float(np.max(np.abs(default.final_S - results[False].final_S) / results[False].final_S))
            print(f"{size:3d} {engine:8s} {pulses:6d} {per_pulse:12.1f} {default_ms:10.1f} "
                  f"{default_ms / per_pulse:6.2f} {str(same):>11s} {difference:10.1e}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
