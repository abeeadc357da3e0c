"""``memspice sweep SWEEP.toml [--workers N | --dask-local N | --scheduler tcp://HOST:PORT | --serial]
[--out DIR] [--no-cache]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_DESCRIPTION = (
    "Run a study over a grid of values (and Monte Carlo seeds) given in a sweep file, on a local process pool "
    "(default), in this process, or on a Dask cluster. Results go into a store folder, one record per point "
    "addressed by its config and engine version: running the same sweep again (or one sharing points with it) "
    "simulates only what is missing, and a killed run resumes where it stopped."
)
_EPILOG = """\
sweep file (TOML):
  study = "crossbar-read"             # any study of `memspice --help`
  [base]                              # the study's config, as `memspice STUDY --print-config` writes it
  rows = 16
  cols = 16
  [grid]                              # cartesian product: dotted field path = [values]
  r_word_ohm = [0.0, 1.0, 5.0]
  [zip]                               # optional: lists of one length, varied together
  [monte_carlo]                       # optional: samples per grid point, each with its own seed
  samples = 5
  seed = 1
  [run]                               # optional: engine, timeout_s

outputs in DIR:
  results.parquet, results.csv  one row per point: swept values, sample, seed, status, error, the study's metrics
  sweep.png                     the metrics against the first swept value (histograms for Monte Carlo)
  points/<key>/                 each point's record: config.toml, point.json, point.log, the study's report
  manifest.json                 the sweep file, memspice / simulator versions, start time

exit status: 0 every point ran; 1 some points failed (listed; the others are kept); 2 a bad sweep file.
"""


def add_sweep_command(commands: argparse._SubParsersAction) -> None:
    """Add ``memspice sweep``."""
    parser = commands.add_parser("sweep", help="run a study over a grid / Monte Carlo, in parallel, resumable",
                                 description=_DESCRIPTION, epilog=_EPILOG,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sweep_file", type=Path, metavar="SWEEP.toml", help="the sweep file")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N", help="local process pool of N workers (default: the CPU count)")
    where.add_argument("--dask-local", type=int, metavar="N", help="start a Dask LocalCluster of N workers (loopback)")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on the Dask cluster of this scheduler")
    where.add_argument("--serial", action="store_true", help="run every point in this process, one after another")
    parser.add_argument("--out", metavar="DIR",
                        help="store folder (default: the sweep file's name without .toml, in the current folder)")
    parser.add_argument("--no-cache", action="store_true", help="run every point again, even those in the store")
    parser.set_defaults(handler=run_sweep_command)


def run_sweep_command(args: argparse.Namespace) -> int:
    from memspice.sweeps.executors import make_executor
    from memspice.sweeps.run import run_sweep
    from memspice.sweeps.spec import load_sweep

    sweep, text = load_sweep(args.sweep_file)  # refused here, before anything starts, when it is bad
    executor = make_executor(workers=args.workers, dask_local=args.dask_local, scheduler=args.scheduler,
                             serial=args.serial)
    out = args.out if args.out is not None else args.sweep_file.name.removesuffix(".toml")
    with executor:  # its workers stopped on the way out, however the sweep ends
        outcome = run_sweep(sweep, executor=executor, out=out, cache=not args.no_cache, sweep_text=text)
    if outcome.failures:
        print(f"memspice: {len(outcome.failures)} of {outcome.total} points failed:", file=sys.stderr)
        for failure in outcome.failures:
            print(f"  {failure.describe()}", file=sys.stderr)
        return 1
    return 0
