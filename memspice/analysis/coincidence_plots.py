"""Figure of a coincidence (outer-product) write: measured pulse counts, Δx and ΔG against the
expected product, and a zoom on one cell's row train, column train and cell voltage.

matplotlib is imported inside the function (``import memspice.analysis`` stays cheap).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from memspice.analysis.plots import _write_atomically

if TYPE_CHECKING:
    from memspice.experiments.coincidence import CoincidenceResult


def _zoom_cell(expected: np.ndarray) -> tuple[int, int]:
    """The cell with the smallest non-zero |product| (few slots, so its pulses are readable),
    ties broken toward the largest row input (its row train is the longest)."""
    magnitude = np.abs(expected).astype(float)
    magnitude[magnitude == 0] = np.inf
    best = np.flatnonzero(magnitude.ravel() == magnitude.min())
    r, c = np.unravel_index(best[-1], expected.shape)
    return int(r), int(c)


def plot_coincidence(result: CoincidenceResult, path: Path, *, dpi: int = 130, zoom_slots: int = 6) -> Path:
    """Four panels: the measured signed pulse-count table (annotated heat map); Δx and ΔG
    (µS) of every cell against its expected product x_i·δ_j with the least-squares line; the
    word-line, bit-line and cell voltages (V) of one cell over its first ``zoom_slots`` write
    slots (ns), with the counting level and the device threshold."""
    from matplotlib.figure import Figure

    config = result.config
    expected = result.expected
    measured = result.measured
    fits = result.fits()
    figure = Figure(figsize=(17.0, 4.6), layout="constrained")
    ax_counts, ax_dx, ax_dg, ax_zoom = figure.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1, 1, 1.5]})

    limit = max(1, int(np.abs(measured).max()))
    image = ax_counts.imshow(measured, cmap="RdBu_r", vmin=-limit, vmax=limit, origin="upper", aspect="auto")
    figure.colorbar(image, ax=ax_counts, label="coincident pulses (signed)")
    for (r, c), value in np.ndenumerate(measured):
        mark = "" if value == expected[r, c] else f"\n(exp. {expected[r, c]})"
        ax_counts.text(c, r, f"{value}{mark}", ha="center", va="center", fontsize=8,
                       color="white" if abs(value) > 0.6 * limit else "black")
    ax_counts.set_xticks(range(config.shape[1]), [f"{d:+d}" for d in np.asarray(config.delta)])
    ax_counts.set_yticks(range(config.shape[0]), [str(v) for v in np.asarray(config.x)])
    ax_counts.set_xlabel("column input δ_j (bit line)")
    ax_counts.set_ylabel("row input x_i (word line)")
    ax_counts.set_title("Measured pulses above ±0.75·V_W")

    span = np.array([expected.min(), expected.max()], dtype=float)
    for ax, values, key, unit, scale_to in ((ax_dx, result.d_state, "d_state", "", 1.0),
                                            (ax_dg, result.d_G_S, "d_G_S", " µS", 1e6)):
        fit = fits[key]
        ax.plot(expected.ravel(), values.ravel() * scale_to, "o", ms=5, alpha=0.8, label="cells")
        ax.plot(span, span * fit["scale_per_pulse"] * scale_to, "k-", lw=1,
                label=f"fit {fit['scale_per_pulse'] * scale_to:.4g}{unit} per pulse, "
                      f"residual {fit['relative_residual']:.2g}")
        ax.axhline(0, color="0.7", lw=0.6)
        ax.set_xlabel("expected coincidences x_i·δ_j")
        ax.legend(fontsize=8)
    ax_dx.set_ylabel(f"Δx (state {config.model}, w/D)")
    ax_dx.set_title("State change vs product")
    ax_dg.set_ylabel("ΔG read by the simulator (µS)")
    ax_dg.set_title(f"Conductance change vs product (read at {config.v_read_V:g} V)")

    r, c = _zoom_cell(expected)
    run = result.run
    schedule = run.schedule
    labels = [p.label for p in schedule.phases]
    slots = [k for k, label in enumerate(labels) if label.startswith("slot")]
    first, last = slots[0], slots[min(zoom_slots, len(slots)) - 1]
    t0 = float(schedule.starts_s[first]) - schedule.gap_s / 2
    t1 = float(schedule.starts_s[last] + schedule.phases[last].length_s) + schedule.gap_s / 2
    time_ns = run.time_s * 1e9
    window = (run.time_s >= t0) & (run.time_s <= t1)
    word = run.nodes.word_voltages(run.waveforms, point=None)[:, r, c]
    bit = run.nodes.bit_voltages(run.waveforms, point=None)[:, r, c]
    cell = run.cell_voltages_V()[:, r, c]
    # The cell trace goes underneath: where only the word line pulses the two coincide.
    ax_zoom.plot(time_ns[window], cell[window], color="0.55", lw=3.5, label=f"cell ({r}, {c}): word − bit")
    ax_zoom.plot(time_ns[window], word[window], lw=1.2, label=f"word line {r} (x = {np.asarray(config.x)[r]})")
    ax_zoom.plot(time_ns[window], bit[window], lw=1.2, label=f"bit line {c} (δ = {np.asarray(config.delta)[c]:+d})")
    level = result.pulses.level_V
    for sign in (1, -1):
        ax_zoom.axhline(sign * level, color="tab:red", ls="--", lw=0.8,
                        label="counting level ±0.75·V_W" if sign > 0 else None)
    threshold = (config.params or {}).get("v_off") if config.model == "vteam" else None
    if threshold is not None:
        ax_zoom.axhline(float(threshold), color="tab:purple", ls=":", lw=1, label=f"device threshold {threshold:g} V")
    ax_zoom.set_xlabel("time (ns)")
    ax_zoom.set_ylabel("voltage (V)")
    ax_zoom.set_title(f"First {last - first + 1} write slots at cell ({r}, {c})")
    ax_zoom.legend(fontsize=7, loc="lower right")

    figure.suptitle(f"Coincidence write (Burr): {config.shape[0]}×{config.shape[1]} {config.model}, "
                    f"lines at ±{config.v_write_V / 2:g} V (V_W = {config.v_write_V:g} V), "
                    f"{config.slot_width_s * 1e9:g} ns slots, {len(slots)} slots in one transient")
    path = Path(path)
    _write_atomically(figure, path, dpi=dpi)
    return path
