"""Per-run cost of memspice.engine.run for each backend, against plain ``ngspice -b``.

The circuit is one HP-style memristor written as B-sources (state node x on a 1 F
capacitor), driven by a 1 V, 1 Hz sine, simulated for 2 s in 1 ms steps (2,000 steps) with
``uic``. Contenders run interleaved, one of each per round, so that a slow spell of the
machine hits all of them alike; warm-up rounds are not timed.

The baseline is ``ngspice -b -r plain.raw net.cir`` as a bare subprocess without reading the
raw file (without ``-r`` and without ``.print`` ngspice -b simulates nothing).

Usage: python benchmarks/engine_overhead.py [--runs 30] [--warmup 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

try:
    import memspice  # noqa: F401
except ImportError:  # running from a checkout without installing: use the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from memspice.engine import DEFAULT_BACKEND, engine_version, run
from memspice.engine.runner import (
    NGSPICE_BACKENDS as BACKENDS,  # the inline netlist is ngspice text
)

MEMRISTOR_NETLIST = """\
HP memristor (B-sources), 1 V 1 Hz sine, 2000 steps
V1 a 0 SIN(0 1 1)
B1 a 0 I=V(a)/(100*V(x)+16000*(1-V(x)))
C1 x 0 1 ic=0.1
B2 0 x I=1e4*V(a)/(100*V(x)+16000*(1-V(x)))
R1 x 0 1e12
.tran 1m 2 uic
.end
"""

PLAIN = "plain ngspice -b"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed runs per contender (default 30)")
    parser.add_argument("--warmup", type=int, default=3,
                        help="untimed runs per contender first (default 3)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be >= 1 and --warmup >= 0")

    executable = shutil.which("ngspice")
    if executable is None:
        parser.error("ngspice is not on PATH; run scripts/install-system-deps.sh")
    with tempfile.TemporaryDirectory(prefix="memspice-bench-") as scratch:
        contenders = _contenders(executable, Path(scratch))
        times_s = _time_interleaved(contenders, runs=args.runs, warmup=args.warmup)
    _check_backends_agree()
    _print_table(times_s, runs=args.runs)
    return 0


def _contenders(executable: str, scratch: Path) -> dict[str, Callable[[], object]]:
    netlist_path = scratch / "memristor.cir"
    netlist_path.write_text(MEMRISTOR_NETLIST)
    plain_command = [executable, "-b", "-r", str(scratch / "plain.raw"), str(netlist_path)]

    def plain() -> object:
        return subprocess.run(plain_command, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, check=True)

    contenders: dict[str, Callable[[], object]] = {PLAIN: plain}
    for backend in BACKENDS:
        contenders[backend] = lambda backend=backend: run(MEMRISTOR_NETLIST, backend=backend)
    return contenders


def _time_interleaved(contenders: dict[str, Callable[[], object]], *, runs: int,
                      warmup: int) -> dict[str, list[float]]:
    """Seconds per call of each contender, one call of each per round."""
    times_s: dict[str, list[float]] = {name: [] for name in contenders}
    for round_index in range(warmup + runs):
        for name, call in contenders.items():
            started = time.perf_counter()
            call()
            elapsed = time.perf_counter() - started
            if round_index >= warmup:
                times_s[name].append(elapsed)
    return times_s


def _check_backends_agree() -> None:
    results = [run(MEMRISTOR_NETLIST, backend=backend) for backend in BACKENDS]
    reference = results[0].data.to_numpy()
    worst = max(float(np.max(np.abs(r.data.to_numpy() - reference))) for r in results[1:])
    print(f"{engine_version()}, {reference.shape[0]} points per run; "
          f"largest difference between backends: {worst:g}")


def _print_table(times_s: dict[str, list[float]], *, runs: int) -> None:
    baseline_ms = statistics.median(times_s[PLAIN]) * 1e3
    print(f"\n{runs} timed runs each (default backend: {DEFAULT_BACKEND})")
    print(f"{'backend':<18} {'median ms':>10} {'min ms':>8} {'ratio to plain':>15}")
    for name, samples in times_s.items():
        median_ms = statistics.median(samples) * 1e3
        ratio = median_ms / baseline_ms
        print(f"{name:<18} {median_ms:>10.2f} {min(samples) * 1e3:>8.2f} {ratio:>15.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
