"""Frequency-dependent hysteresis of the HP memristor with Biolek's window.

Run:  .venv/bin/python examples/hysteresis_demo.py [OUT_DIR]
"""

import sys
from pathlib import Path

from memspice.studies.hysteresis import HysteresisConfig, run_hysteresis, write_hysteresis_report

out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "out/hp_biolek")
config = HysteresisConfig(model="hp", params={"window": "biolek"}, freqs_hz=(1.0, 10.0, 100.0))
result = run_hysteresis(config)
for freq_run in result.runs:
    fp = freq_run.fingerprint
    print(f"{fp.freq_hz:>6g} Hz  lobe area / (Vmax*Imax) = {fp.lobe_area_norm:.4g}   pinch ratio = {fp.pinch_ratio:.1e}")
print(result.verdicts.to_dict())
write_hysteresis_report(result, out_dir)
print(f"wrote {out_dir}")
