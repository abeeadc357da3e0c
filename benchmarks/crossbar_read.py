"""Read of an N×N crossbar end to end, per phase and per engine, against a scipy nodal solve.

For each size N the same network is solved three ways in one run: the scipy sparse
reference (:func:`memspice.analysis.crossbar_reference.solve_crossbar`) and each engine
through :func:`memspice.engine.run` (``.op``). Cells are fixed conductances, log-uniform in
[1 µS, 1 mS], inputs uniform in [-0.3, 0.3] V (seeded), every word and bit segment
``--r-wire`` Ω, badcrossbar's topology. Phases:

* generate: ``add_crossbar`` plus writing the netlist text in the engine's dialect;
* simulate: the simulator itself (ngspice reading the netlist and solving, or the VACASK
  process), as the engine measured it (``Waveforms.simulate_time_s``);
* parse: collecting the results into a table and picking the column currents out of it;
* total: generate + simulate + parse, wall clock.

An engine is not run at larger sizes once one of its runs has taken longer than
``--limit-s`` (default 60 s). "error" is the largest difference of a column current from
the reference, relative to that column's Σ G·|V| (columns can cancel to nearly 0 A).

Usage: python benchmarks/crossbar_read.py [--sizes 32,64,128,256,512] [--r-wire 1]
       [--engines shared,vacask] [--limit-s 60] [--timeout-s 1800] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

try:
    import memspice  # noqa: F401
except ImportError:  # running from a checkout without installing: use the checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from memspice.analysis.crossbar_readers import output_currents
from memspice.analysis.crossbar_reference import solve_crossbar
from memspice.circuits import CrossbarConfig, FixedConductanceCells, add_crossbar
from memspice.engine import BACKENDS, estimate_size, engine_version, run
from memspice.errors import SimulationError
from memspice.netlist import Netlist, Op


@dataclass
class Row:
    size: int
    engine: str
    unknowns: int | None
    generate_s: float | None = None
    simulate_s: float | None = None
    parse_s: float | None = None
    total_s: float | None = None
    scipy_s: float | None = None
    error: float | None = None
    note: str = ""


def problem(size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return 10.0 ** rng.uniform(-6, -3, (size, size)), rng.uniform(-0.3, 0.3, size)


def time_engine(engine: str, G: np.ndarray, V: np.ndarray, r_wire: float, reference: np.ndarray,
                timeout_s: float) -> Row:
    size = G.shape[0]
    started = time.perf_counter()
    netlist = Netlist(title=f"{size}x{size} crossbar read, wire {r_wire:g} ohm")
    nodes = add_crossbar(netlist, CrossbarConfig(size, size, r_word_ohm=r_wire, r_bit_ohm=r_wire),
                         FixedConductanceCells(G), inputs_V=V)
    netlist.analysis = Op()
    # Only the sink currents are read: the simulator writes (and memspice parses) only those.
    netlist.saves = [f"i({name})" for pair in nodes.bit_sources for name in pair if name is not None]
    text = netlist.render(dialect="vacask" if engine == "vacask" else "ngspice")
    generated = time.perf_counter()
    row = Row(size=size, engine=engine, unknowns=estimate_size(netlist)[0], generate_s=generated - started)
    try:
        waveforms = run(text, backend=engine, timeout_s=timeout_s)
    except SimulationError as exc:
        row.total_s = time.perf_counter() - started
        row.note = str(exc).splitlines()[0][:60]
        return row
    currents = output_currents(nodes, waveforms)
    row.total_s = time.perf_counter() - started
    row.simulate_s = waveforms.simulate_time_s
    row.parse_s = row.total_s - row.generate_s - (row.simulate_s or 0.0)
    row.error = float(np.max(np.abs(currents - reference) / (G.T @ np.abs(V))))
    return row


def fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if value >= 0.01 else f"{value:.1e}"


def print_table(rows: list[Row]) -> None:
    header: tuple[str, ...] = ("N", "engine", "unknowns", "generate s", "simulate s", "parse s", "total s",
                               "× scipy", "error")
    notes = any(row.note for row in rows)
    if notes:
        header += ("note",)
    lines = [header]
    for row in rows:
        ratio = None if row.total_s is None or not row.scipy_s else row.total_s / row.scipy_s
        lines.append((
            str(row.size), row.engine, "-" if row.unknowns is None else f"{row.unknowns:,}",
            fmt(row.generate_s), fmt(row.simulate_s),
            fmt(row.parse_s), fmt(row.total_s), "-" if ratio is None else f"{ratio:.1f}",
            f"{row.error:.1e}" if row.error is not None else "-",
        ) + ((row.note,) if notes else ()))
    widths = [max(len(line[k]) for line in lines) for k in range(len(header))]
    for number, line in enumerate(lines):
        cells = [cell.ljust(width) if k == len(header) - 1 and notes else cell.rjust(width)
                 for k, (cell, width) in enumerate(zip(line, widths))]
        print("| " + " | ".join(cells) + " |")
        if number == 0:
            print("|" + "|".join("-" * (width + 2) for width in widths) + "|")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="32,64,128,256,512", help="comma-separated N (default 32,64,128,256,512)")
    parser.add_argument("--r-wire", type=float, default=1.0, help="word and bit segment resistance, Ω (default 1)")
    parser.add_argument("--engines", default="shared,vacask",
                        help=f"comma-separated engines from {', '.join(BACKENDS)} (default shared,vacask)")
    parser.add_argument("--limit-s", type=float, default=60.0,
                        help="skip an engine's larger sizes once one of its runs took longer (default 60)")
    parser.add_argument("--timeout-s", type=float, default=1800.0, help="kill a single run after this (default 1800)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of G and V (default 0)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(size) for size in args.sizes.split(",")]
    except ValueError:
        parser.error(f"--sizes {args.sizes!r}: give integers such as 32,64,128")
    engines = [engine.strip() for engine in args.engines.split(",") if engine.strip()]
    unknown = [engine for engine in engines if engine not in BACKENDS]
    if unknown or any(size < 1 for size in sizes) or args.r_wire < 0:
        parser.error(f"engines must be among {BACKENDS}, sizes >= 1, --r-wire >= 0")

    versions = {}
    for engine in engines:
        try:
            versions[engine] = engine_version(backend=engine)
        except Exception as exc:  # a missing simulator: leave the engine out, say why
            print(f"engine {engine} skipped: {exc}", file=sys.stderr)
    engines = [engine for engine in engines if engine in versions]
    print(f"crossbar read, .op, wire {args.r_wire:g} Ω, {os.cpu_count()} CPUs; "
          + ", ".join(f"{engine}: {version}" for engine, version in versions.items()), flush=True)

    # Warm-up, untimed: scipy's first import, libngspice's first load, the first VACASK start.
    G, V = problem(4, args.seed)
    reference = solve_crossbar(G, V, r_word_ohm=args.r_wire, r_bit_ohm=args.r_wire)
    for engine in engines:
        time_engine(engine, G, V, args.r_wire, reference.output_currents_A, args.timeout_s)

    stopped: dict[str, str] = {}
    rows: list[Row] = []
    for size in sizes:
        G, V = problem(size, args.seed)
        started = time.perf_counter()
        reference = solve_crossbar(G, V, r_word_ohm=args.r_wire, r_bit_ohm=args.r_wire)
        scipy_s = time.perf_counter() - started
        rows.append(Row(size=size, engine="scipy", unknowns=reference.unknowns, total_s=scipy_s, scipy_s=scipy_s))
        print(f"N={size}: scipy {scipy_s:.2f} s", flush=True)
        for engine in engines:
            if engine in stopped:
                rows.append(Row(size=size, engine=engine, unknowns=None, note=stopped[engine]))
                continue
            row = time_engine(engine, G, V, args.r_wire, reference.output_currents_A, args.timeout_s)
            row.scipy_s = scipy_s
            rows.append(row)
            print(f"N={size}: {engine} {fmt(row.total_s)} s {row.note}", flush=True)
            if row.total_s is not None and row.total_s > args.limit_s:
                stopped[engine] = f"not run: N={size} took {row.total_s:.0f} s > {args.limit_s:g} s"
    print()
    print_table(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
