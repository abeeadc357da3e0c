"""Write transients end to end per engine: one V/2 write pulse on an N×N memristor array.

For each size N, the same bench (VTEAM with ±1.4 V thresholds, all cells ON, targets at the
near and far corners, V_W = 2 V, 50 ns, ``--r-wire`` Ω segments) is run by each engine through
:func:`memspice.studies.write_scheme.run_write_scheme`; the baseline of every ratio is
ngspice (shared library) at the same size, measured in the same run. Columns:

* simulate: the simulator itself (``WriteSchemeResult.t_simulate_s``);
* post: everything else (netlist, raw-file reading, the write-scheme analysis): total − simulate;
* post/sim: their ratio (issue 16 asks for end to end ≤ 1.5 × simulate, i.e. post/sim ≤ 0.5);
* total: netlist, simulation and result extraction, wall clock (``t_total_s``);
* corners: v_peak of the near and far corner (both selected), so engines can be compared;
* d_far: far-corner v_peak of this engine minus ngspice's (V).

An engine is not run at larger sizes once one of its runs took longer than ``--limit-s``.

Usage: python benchmarks/write_transient.py [--sizes 16,32,64] [--r-wire 5] [--engines shared,vacask]
       [--limit-s 120]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

try:
    import memspice  # noqa: F401
except ImportError:  # running from a checkout without installing: use the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from memspice.engine.options import RunOptions
from memspice.errors import MemspiceError
from memspice.studies.write_scheme import WriteSchemeConfig, run_write_scheme


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="16,32,64", help="array sizes N (N×N), comma-separated")
    parser.add_argument("--r-wire", type=float, default=5.0, help="segment resistance in Ω (default 5)")
    parser.add_argument("--engines", default="shared,vacask", help="engines; the first is the baseline")
    parser.add_argument("--limit-s", type=float, default=120.0, help="stop an engine after a run this long")
    args = parser.parse_args(argv)
    sizes = [int(part) for part in args.sizes.split(",") if part.strip()]
    engines = [part.strip() for part in args.engines.split(",") if part.strip()]
    stopped: set[str] = set()
    print(f"V/2 write, VTEAM all ON, V_W 2 V, 50 ns, r_wire {args.r_wire:g} ohm; baseline {engines[0]} at each N")
    print(f"{'N':>4s} {'engine':8s} {'simulate s':>10s} {'post s':>7s} {'post/sim':>8s} {'total s':>8s} {'x base':>7s} "
          f"{'near V':>7s} {'far V':>7s} {'d_far V':>9s}")
    for size in sizes:
        base_total = base_far = None
        for engine in engines:
            if engine in stopped:
                print(f"{size:4d} {engine:8s} not run (a smaller size took longer than {args.limit_s:g} s)")
                continue
            config = WriteSchemeConfig(scheme="v2", rows=size, cols=size, r_wire_ohm=args.r_wire,
                                       targets=((size - 1, 0), (0, size - 1)))
            try:
                result = run_write_scheme(config, options=RunOptions(engine=engine))
            except MemspiceError as error:
                print(f"{size:4d} {engine:8s} failed: {str(error).splitlines()[0]}")
                continue
            corners = result.summary()["corners"]
            near, far = corners["near"]["v_peak_V"], corners["far"]["v_peak_V"]
            if base_total is None:
                base_total, base_far = result.t_total_s, far
            post = result.t_total_s - result.t_simulate_s
            print(f"{size:4d} {engine:8s} {result.t_simulate_s:10.3f} {post:7.3f} {post / result.t_simulate_s:8.2f} "
                  f"{result.t_total_s:8.3f} {result.t_total_s / base_total:7.3f} {near:7.4f} {far:7.4f} "
                  f"{far - base_far:+9.2e}", flush=True)
            if result.t_total_s > args.limit_s:
                stopped.add(engine)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
