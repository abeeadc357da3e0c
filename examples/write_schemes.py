"""Write schemes: one V/2 write with its disturb map, and one coincidence (outer-product) write.

Run:  .venv/bin/python examples/write_schemes.py [OUT_DIR] [--no-docs]

1. A V/2 write of cell (3, 4) in a 16 × 16 VTEAM array (±1.4 V thresholds, all other cells ON,
   1 Ω wire segments, V_W = 2 V, 50 ns): ``OUT_DIR/v2`` gets ``cells.csv``, ``summary.json``,
   the netlist and ``write_scheme.png`` (|Δstate| and peak cell voltage over the array).
2. A coincidence write after Burr on a 5 × 5 array, x = δ = (0, 1, 2, 3, 4): ``OUT_DIR/coincidence``
   gets the measured pulse-count table and ``coincidence.png``.

Unless ``--no-docs``, the two figures are copied to ``docs/`` (shown in the README).
"""

import shutil
import sys
from pathlib import Path

from memspice.engine.options import RunOptions
from memspice.studies.coincidence import CoincidenceConfig, run_coincidence, write_coincidence_report
from memspice.studies.write_scheme import WriteSchemeConfig, run_write_scheme, write_write_scheme_report

arguments = [a for a in sys.argv[1:] if a != "--no-docs"]
out_dir = Path(arguments[0] if arguments else "out/write_schemes")
docs = Path(__file__).resolve().parents[1] / "docs"

write = run_write_scheme(WriteSchemeConfig(scheme="v2", rows=16, cols=16, v_write_V=2.0, pulse_width_s=50e-9,
                                           r_wire_ohm=1.0, targets=((3, 4),)), options=RunOptions(engine="shared"))
summary = write.summary()
print(f"V/2 write of (3,4): switched {summary['all_selected_switched']}, selected v_peak "
      f"{summary['selected_min_v_peak_V']:.3f} V, worst half-selected v_peak {summary['worst_half_selected_v_peak_V']:.3f} V "
      f"and |Δstate| {summary['worst_half_selected_abs_d_state']:.2g} -> {summary['verdict']} "
      f"({write.t_total_s:.1f} s)")
written = write_write_scheme_report(write, out_dir / "v2")

coincidence = run_coincidence(CoincidenceConfig(x=(0, 1, 2, 3, 4), delta=(0, 1, 2, 3, 4)))
counts = coincidence.summary()
print(f"coincidence write: measured pulse counts == x·δ: {counts['counts_match']}")
print(coincidence.measured)
coincidence_files = write_coincidence_report(coincidence, out_dir / "coincidence")
if "--no-docs" not in sys.argv:
    shutil.copyfile(written["write_scheme.png"], docs / "write_scheme_v2.png")
    shutil.copyfile(coincidence_files["coincidence.png"], docs / "coincidence.png")
print(f"wrote {out_dir}")
