"""The model gallery: every catalog model's pinched loops at its three recommended frequencies.

Run:  .venv/bin/python examples/model_gallery.py [OUT_DIR] [--no-docs]

Writes ``OUT_DIR/model_gallery.png`` (default ``out/``) and, unless ``--no-docs``, a copy in
``docs/model_gallery.png`` (shown in the README); prints the normalised lobe areas and pinch
ratios per model.
"""

import shutil
import sys
from pathlib import Path

from memspice.analysis import GalleryPanel, format_frequency, last_period, plot_gallery
from memspice.spicelib import all_models
from memspice.studies.hysteresis import HysteresisConfig, run_hysteresis

arguments = [a for a in sys.argv[1:] if a != "--no-docs"]
out_dir = Path(arguments[0] if arguments else "out")
out_dir.mkdir(parents=True, exist_ok=True)
panels = []
for model in all_models():
    result = run_hysteresis(HysteresisConfig(model=model.name, cycles=3, points_per_cycle=500))
    loops = []
    for freq_run in result.runs:
        wave = freq_run.waveforms
        _, v, i = last_period(
            wave["time_s"].to_numpy(), wave["v_V"].to_numpy(), wave["i_A"].to_numpy(), freq_hz=freq_run.freq_hz
        )
        loops.append((freq_run.freq_hz, v, i))
    drive = model.drive
    unit = "V" if drive.kind == "voltage" else "A"
    amplitude = f"{drive.amplitude * 1e3:g} mA" if unit == "A" and drive.amplitude < 1 else f"{drive.amplitude:g} {unit}"
    panels.append(
        GalleryPanel(
            title=f"{model.name} ({model.kind})",
            loops=loops,
            note=f"{drive.kind} drive {amplitude}\nstate {model.state_name}" + (f" [{model.state_unit}]" if model.state_unit else ""),
        )
    )
    areas = ", ".join(f"{format_frequency(r.freq_hz)}: {r.fingerprint.lobe_area_norm:.3g}" for r in result.runs)
    pinch = max(r.fingerprint.pinch_ratio for r in result.runs)
    print(f"{model.name:>13}  lobe area / (Vmax*Imax)  {areas}   max pinch ratio {pinch:.1e}")

path = plot_gallery(
    panels, out_dir / "model_gallery.png",
    title="memspice model gallery: V–I loops at each model's recommended drive (last of 3 periods)",
)
print(f"wrote {path}")
if "--no-docs" not in sys.argv[1:]:
    docs = Path(__file__).resolve().parents[1] / "docs" / "model_gallery.png"
    if docs.resolve() != path.resolve():
        shutil.copyfile(path, docs)
    print(f"wrote {docs}")
