"""The golden netlists: what the demo runs, committed in ``netlists/`` and diffed by the tests.

``python -m memspice.experiments.golden netlists`` rewrites them; review the diff like code,
since any change to generated SPICE shows up there first.
"""

from __future__ import annotations

import sys
from pathlib import Path

from memspice.files import write_text_atomic
from memspice.spicelib.catalog import all_models, memristor_subcircuit
from memspice.studies.hysteresis import HysteresisConfig, build_netlist, netlist_name

#: The demo of ``make demo``: the hp model with Biolek's window at three frequencies.
DEMO_CONFIG = HysteresisConfig(model="hp", params={"window": "biolek"}, freqs_hz=(1.0, 10.0, 100.0))


def model_library_text() -> str:
    """Every catalog model, every variant, at default parameters: the text of ``memristors.lib``."""
    parts = ["* memspice memristor library (generated from the catalog; do not edit by hand)", ""]
    for model in all_models():
        defaults = model.defaults()
        choice_params = [p for p in model.parameters if p.is_choice]
        variants = [defaults]
        for parameter in choice_params:
            variants = [{**v, parameter.name: choice} for v in variants for choice in parameter.choices]
        for values in variants:
            parts.append(memristor_subcircuit(model, model.resolve(values)).render())
            parts.append("")
    return "\n".join(parts)


def golden_netlists() -> dict[str, str]:
    """File name -> netlist text for every golden netlist."""
    texts: dict[str, str] = {}
    for freq_hz in DEMO_CONFIG.frequencies_hz:
        netlist, _ = build_netlist(DEMO_CONFIG, freq_hz)
        texts[netlist_name(DEMO_CONFIG.model, freq_hz)] = netlist.render()
    return texts


def write_golden(folder: Path) -> list[Path]:
    """Rewrite the golden netlists in ``folder`` and the library file in the package."""
    written = [write_text_atomic(Path(folder) / name, text) for name, text in golden_netlists().items()]
    written.append(write_text_atomic(Path(__file__).parents[1] / "spicelib" / "memristors.lib", model_library_text()))
    return written




if __name__ == "__main__":
    for path in write_golden(Path(sys.argv[1] if len(sys.argv) > 1 else "netlists")):
        print(path)
