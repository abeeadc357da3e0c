"""Burr's tolerancing on the bundled digits: what each device non-ideality costs in-situ training.

Run:  .venv/bin/python examples/burr_tolerance.py [OUT_DIR] [--no-docs]

The 64-32-10 MLP of the accuracy chain is trained online (one image per update, 3 passes over
the 1,347 training images) with every weight a pair of normalised conductances updated by
pulses (:mod:`memspice.analysis.burr`): the ideal device, then each non-ideality alone —
bounded conductance, SET-only pairs (refresh every 100 samples, and never), nonlinear and
asymmetric steps (NeuroSim's G(P) = B(1 − e^(−P/A)) + G_min), 5 % dead or stuck-on devices,
stochastic steps — 3 seeds each; and the SET-only pairs against the refresh interval. Writes
``burr_table.csv``, ``refresh.csv`` and ``refresh.png`` into ``OUT_DIR`` (default
``out/burr``) and, unless ``--no-docs``, copies the figure to ``docs/burr_refresh.png``.
"""

import shutil
import sys
from pathlib import Path

import pandas as pd

from memspice.analysis.accuracy_plots import plot_accuracy_curves
from memspice.analysis.burr import refresh_sweep, tolerance_table

arguments = [a for a in sys.argv[1:] if a != "--no-docs"]
out_dir = Path(arguments[0] if arguments else "out/burr")
out_dir.mkdir(parents=True, exist_ok=True)
docs = Path(__file__).resolve().parents[1] / "docs"

table = pd.DataFrame(tolerance_table(seeds=3, epochs=3))
table.to_csv(out_dir / "burr_table.csv", index=False)
intervals = [1, 10, 30, 100, 300, 1000, 4041]  # 4041 = 3 passes of 1,347 images: never refreshed
refresh = pd.DataFrame(refresh_sweep(intervals, seeds=3, epochs=3))
refresh.to_csv(out_dir / "refresh.csv", index=False)
ideal = float(table.accuracy_mean.iloc[0])
plot_accuracy_curves(refresh.refresh_every, {"SET-only pairs": (refresh.accuracy_mean, refresh.accuracy_std)},
                     out_dir / "refresh.png", xlabel="refresh interval K (training samples between refreshes)",
                     title="SET-only differential pairs: accuracy vs refresh interval (digits, 3 seeds)",
                     log_x=True, reference=ideal)
print(table.to_string(index=False))
print(refresh.to_string(index=False))
if "--no-docs" not in sys.argv:
    shutil.copy(out_dir / "refresh.png", docs / "burr_refresh.png")
