"""Program a 4 × 4 target conductance matrix two ways and compare: write-verify vs write-without-verify.

Run:  .venv/bin/python examples/program_array.py [OUT_DIR] [--no-docs]

A 4 × 4 VTEAM array (±1.4 V thresholds, 10 kΩ / 100 kΩ) starts from a random ON/OFF pattern.
Write-verify programs one cell at a time (±1.5 V V/2-scheme pulses, Python choosing each
pulse's polarity and width from the read-back, at most 8 pulses per cell); write-without-verify
gives each cell the number of fixed 10 ns pulses the calibration curve predicts, column by
column in two steps (cells going up, then cells going down). Writes ``methods.csv``,
``cells.csv``, ``write_verify_history.csv``, two netlists, ``program.png`` and ``summary.json``
into ``OUT_DIR`` (default ``out/program``) and, unless ``--no-docs``, copies the figure to
``docs/program.png`` (shown in the README).
"""

import shutil
import sys
from pathlib import Path

import numpy as np

from memspice.studies.programming import ProgramConfig, run_program, write_program_report

arguments = [a for a in sys.argv[1:] if a != "--no-docs"]
out_dir = Path(arguments[0] if arguments else "out/program")
docs = Path(__file__).resolve().parents[1] / "docs"

target_S = np.random.default_rng(3).uniform(15e-6, 85e-6, (4, 4))
config = ProgramConfig(target_S, pattern="random", seed=1, max_pulses=8)


def progress(done: int, total: int, label: str, wall_s: float) -> None:
    print(f"[{done}/{total}] {label} ({wall_s:.2f} s)", file=sys.stderr)


result = run_program(config, progress=progress)
table = result.table()
print(f"tolerance {config.tolerance_S * 1e6:.3g} µS, at most {config.max_pulses} write-verify pulses per cell")
print(f"{'method':22s} {'pulses':>6s} {'max/cell':>8s} {'max |err| µS':>12s} {'rms µS':>7s} {'in tol.':>7s} "
      f"{'energy pJ':>9s} {'device time µs':>14s} {'wall s':>6s}")
for row in table.to_dict("records"):
    print(f"{row['method']:22s} {row['pulses_total']:6d} {row['pulses_max_per_cell']:8d} "
          f"{row['max_abs_error_S'] * 1e6:12.3g} {row['rms_error_S'] * 1e6:7.3g} "
          f"{row['cells_within_tolerance']:4d}/{row['cells']:<2d} {row['energy_J'] * 1e12:9.3g} "
          f"{row['device_time_s'] * 1e6:14.3g} {row['wall_time_s']:6.2f}")
written = write_program_report(result, out_dir)
if "--no-docs" not in sys.argv:
    shutil.copyfile(written["program.png"], docs / "program.png")
print(f"wrote {out_dir}")
