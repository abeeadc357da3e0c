"""Accuracy chain: the whole test set through SPICE-extracted tiles, against the numpy-only steps.

One run of ``memspice accuracy-chain`` (all 450 test images, ``--draws`` Monte Carlo draws of the
population, 32 × 32 tiles with 1 Ω wires, bit-serial 8-bit inputs, 8-bit ADC), timed by phase:

* train: the 64-32-10 MLP (numpy, full-batch Adam);
* extract: every draw's tiles read from SPICE (one batch of 32 DC reads per tile; VACASK: one
  process per tile), summed over draws;
* chain: everything of the draws (programming, extraction, numpy reads of the test set through
  the extracted matrices and the ADC model), which is what "the whole test set through the full
  chain" costs;
* check: the transient check of ``--check-images`` test images (every tile's readout chain in
  ngspice, one transient per tile), once;
* per image: chain time / (images × draws), and the check's time per image for comparison.

Usage: python benchmarks/accuracy_chain.py [--draws 10] [--check-images 50] [--engine vacask]
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

from memspice.engine.options import RunOptions
from memspice.studies.accuracy_chain import AccuracyChainConfig, run_accuracy_chain


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--draws", type=int, default=10, help="Monte Carlo draws")
    parser.add_argument("--check-images", type=int, default=50, help="images of the transient check (0: none)")
    parser.add_argument("--engine", default="vacask", help="engine of the tile extraction")
    args = parser.parse_args(argv)
    config = AccuracyChainConfig(draws=args.draws, check_images=args.check_images, randomise_fraction=0.0)
    started = time.perf_counter()
    result = run_accuracy_chain(config, options=RunOptions(engine=args.engine))
    total = time.perf_counter() - started
    t = result.timings_s
    images = config.test_images
    tiles = sum(len(layer) for layer in config.tiles)
    print(f"accuracy chain: {images} test images x {config.draws} draws, {tiles} tiles of "
          f"{config.tile_rows}x{config.tile_columns}, r_wire {config.r_wire_ohm:g} ohm, engine {result.engine}")
    print(f"{'phase':28s} {'wall s':>8s} {'ms per image x draw':>20s}  (check: ms per image)")
    rows = [("train MLP", t["train_s"], None), ("extract tiles (SPICE)", t["extract_s"], t["extract_s"]),
            ("whole chain, all draws", t["chain_s"], t["chain_s"])]
    if args.check_images:
        rows.append((f"transient check ({args.check_images} images)", t["check_s"],
                     t["check_s"] * images * config.draws / args.check_images))
    rows.append(("total", total, None))
    for name, seconds, per in rows:
        per_text = f"{1e3 * per / (images * config.draws):20.2f}" if per is not None else f"{'':>20s}"
        print(f"{name:28s} {seconds:8.1f} {per_text}")
    if args.check_images:
        print(f"transient check / extracted chain per image: "
              f"{(t['check_s'] / args.check_images) / (t['chain_s'] / (images * config.draws)):.0f}x; "
              f"{result.check['adc_codes_differing']} of {result.check['adc_codes']} ADC codes differ "
              f"({result.check['adc_codes_differing_off_ties']} away from a threshold tie), classes identical "
              f"{result.check['identical_classes']}, current error {result.check['max_current_error_rel']:.2g}")
    for row in result.chain().itertuples():
        print(f"  {row.step:>10s}: {100 * row.accuracy_mean:6.2f} % +- {100 * row.accuracy_std:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
