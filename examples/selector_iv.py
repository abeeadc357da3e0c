"""Selector I–V: the threshold switch alone and in a 1S1R cell, threshold and hold points marked.

Run:  .venv/bin/python examples/selector_iv.py [OUT_DIR] [--no-docs]

Writes two report folders (``iv.csv``, ``events.csv``, ``selector_iv.png``, ``summary.json``)
into ``OUT_DIR/selector`` and ``OUT_DIR/1s1r`` (default ``out/selector_iv``) and, unless
``--no-docs``, copies their figures to ``docs/selector_iv.png`` and ``docs/selector_iv_1s1r.png``
(shown in the README); prints the detected threshold and hold voltages.
"""

import shutil
import sys
from pathlib import Path

from memspice.studies.selector_iv import SelectorIVConfig, run_selector_iv, write_selector_iv_report

arguments = [a for a in sys.argv[1:] if a != "--no-docs"]
out_dir = Path(arguments[0] if arguments else "out/selector_iv")
docs = Path(__file__).resolve().parents[1] / "docs"

# The selector alone on an ideal source (±0.8 V in 1 ms), then the 1S1R demonstration: the same
# selector in series with a VTEAM memristor (±0.3 V thresholds, 2 kΩ/20 kΩ), ±1.2 V in 1 ms.
studies = {
    "selector": (SelectorIVConfig(), "selector_iv.png"),
    "1s1r": (SelectorIVConfig(demo_1s1r=True), "selector_iv_1s1r.png"),
}
for label, (config, docs_name) in studies.items():
    result = run_selector_iv(config)
    for event in result.events:
        name = "V_th  " if event.kind == "on" else "V_hold"
        target = config.v_th_V if event.kind == "on" else config.v_hold_V
        error = abs(event.v_selector_V) / target - 1
        print(f"{label:8s} {name} {event.v_selector_V:+.4f} V (set {target:g} V, {error:+.2%}), "
              f"current x{event.current_ratio:.3g} across the switch, applied {event.v_applied_V:+.3f} V")
    written = write_selector_iv_report(result, out_dir / label)
    if "--no-docs" not in sys.argv:
        shutil.copyfile(written["selector_iv.png"], docs / docs_name)
print(f"wrote {out_dir}")
