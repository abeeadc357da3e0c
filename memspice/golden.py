"""The golden netlists: what the demo runs, committed in ``netlists/`` and diffed by the tests.

``python -m memspice.golden netlists`` rewrites them; review the diff like code,
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


def _first_netlist(study: str, config) -> str:
    """The ngspice text of the first job a study plans for ``config``."""
    from memspice.studies import get_study

    return get_study(study).plan(config)[0].netlist.render()


def golden_netlists() -> dict[str, str]:
    """File name -> netlist text for every golden netlist: the demo's hysteresis benches, a
    4×3 crossbar read with 1 Ω wire segments, a V/2 write on a 3×3 array with 1 Ω wires, and a
    differential VMM (2 inputs × 2 signed outputs, TIA readout)."""
    from memspice.studies.crossbar_read import CrossbarReadConfig
    from memspice.studies.vmm import VmmConfig
    from memspice.studies.write_scheme import WriteSchemeConfig

    texts: dict[str, str] = {}
    for freq_hz in DEMO_CONFIG.frequencies_hz:
        netlist, _ = build_netlist(DEMO_CONFIG, freq_hz)
        texts[netlist_name(DEMO_CONFIG.model, freq_hz)] = netlist.render()
    texts["crossbar_read_4x3_wires.cir"] = _first_netlist(
        "crossbar-read", CrossbarReadConfig(rows=4, cols=3, pattern="checkerboard", r_word_ohm=1.0, r_bit_ohm=1.0))
    texts["write_scheme_v2_3x3.cir"] = _first_netlist(
        "write-scheme", WriteSchemeConfig(rows=3, cols=3, scheme="v2", targets=((1, 1),), r_wire_ohm=1.0))
    texts["vmm_differential_2x2.cir"] = _first_netlist(
        "vmm", VmmConfig(weights=((1.0, -0.5), (-0.25, 0.75)), inputs=((0.5, 1.0),), differential=True))
    return texts


def write_golden(folder: Path) -> list[Path]:
    """Rewrite the golden netlists in ``folder`` and the library file in the package."""
    written = [write_text_atomic(Path(folder) / name, text) for name, text in golden_netlists().items()]
    written.append(write_text_atomic(Path(__file__).parents[1] / "spicelib" / "memristors.lib", model_library_text()))
    return written




if __name__ == "__main__":
    for path in write_golden(Path(sys.argv[1] if len(sys.argv) > 1 else "netlists")):
        print(path)
