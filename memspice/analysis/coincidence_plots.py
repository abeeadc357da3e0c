"""Figure of a coincidence (outer-product) write: measured pulse counts, Δx and ΔG against the
expected product, and a zoom on one cell's row train, column train and cell voltage.

The plot takes arrays and labels (what :func:`memspice.studies.coincidence.coincidence_plot_arguments`
gives for a result). matplotlib is imported inside the function (``import memspice.analysis``
stays cheap).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import numpy as np

from memspice.analysis.plots import _write_atomically


def zoom_cell(expected: np.ndarray) -> tuple[int, int]:
    """The cell with the smallest non-zero |product| (few slots, so its pulses are readable),
    ties broken toward the largest row input (its row train is the longest)."""
    magnitude = np.abs(expected).astype(float)
    magnitude[magnitude == 0] = np.inf
    best = np.flatnonzero(magnitude.ravel() == magnitude.min())
    r, c = np.unravel_index(best[-1], expected.shape)
    return int(r), int(c)


def plot_coincidence(
    path: Path,
    *,
    x: np.ndarray,
    delta: np.ndarray,
    expected: np.ndarray,
    measured: np.ndarray,
    d_state: np.ndarray,
    d_G_S: np.ndarray,
    fits: Mapping[str, Mapping[str, float]],
    time_s: np.ndarray,
    word_V: np.ndarray,
    bit_V: np.ndarray,
    cell_V: np.ndarray,
    slot_spans_s: np.ndarray,
    margin_s: float,
    level_V: float,
    threshold_V: float | None,
    model: str,
    v_read_V: float,
    title: str,
    dpi: int = 130,
    zoom_slots: int = 6,
) -> Path:
    """Four panels: the measured signed pulse-count table (annotated heat map); Δx and ΔG
    (µS) of every cell against its expected product x_i·δ_j with the least-squares line
    (``fits[name]`` has ``scale_per_pulse`` and ``relative_residual`` for ``d_state`` and
    ``d_G_S``); the word-line, bit-line and cell voltages (V) of one cell (:func:`zoom_cell`)
    over its first ``zoom_slots`` write slots (ns), with the counting level ``level_V`` and the
    device threshold ``threshold_V`` (None: not drawn).

    Shapes: ``x`` (rows,), ``delta`` (cols,), ``expected``, ``measured``, ``d_state``, ``d_G_S``
    (rows, cols); ``time_s`` (points,); ``word_V``, ``bit_V``, ``cell_V`` (points, rows, cols),
    the word and bit side of every cell and their difference; ``slot_spans_s`` (slots, 2), the
    start and end of every write slot; ``margin_s`` is shown on each side of the zoom.
    """
    from matplotlib.figure import Figure

    x, delta = np.asarray(x), np.asarray(delta)
    figure = Figure(figsize=(17.0, 4.6), layout="constrained")
    ax_counts, ax_dx, ax_dg, ax_zoom = figure.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1, 1, 1.5]})

    limit = max(1, int(np.abs(measured).max()))
    image = ax_counts.imshow(measured, cmap="RdBu_r", vmin=-limit, vmax=limit, origin="upper", aspect="auto")
    figure.colorbar(image, ax=ax_counts, label="coincident pulses (signed)")
    for (r, c), value in np.ndenumerate(measured):
        mark = "" if value == expected[r, c] else f"\n(exp. {expected[r, c]})"
        ax_counts.text(c, r, f"{value}{mark}", ha="center", va="center", fontsize=8,
                       color="white" if abs(value) > 0.6 * limit else "black")
    ax_counts.set_xticks(range(delta.size), [f"{d:+d}" for d in delta])
    ax_counts.set_yticks(range(x.size), [str(v) for v in x])
    ax_counts.set_xlabel("column input δ_j (bit line)")
    ax_counts.set_ylabel("row input x_i (word line)")
    ax_counts.set_title("Measured pulses above ±0.75·V_W")

    span = np.array([expected.min(), expected.max()], dtype=float)
    for ax, values, key, unit, scale_to in ((ax_dx, d_state, "d_state", "", 1.0), (ax_dg, d_G_S, "d_G_S", " µS", 1e6)):
        fit = fits[key]
        ax.plot(expected.ravel(), np.asarray(values).ravel() * scale_to, "o", ms=5, alpha=0.8, label="cells")
        ax.plot(span, span * fit["scale_per_pulse"] * scale_to, "k-", lw=1,
                label=f"fit {fit['scale_per_pulse'] * scale_to:.4g}{unit} per pulse, "
                      f"residual {fit['relative_residual']:.2g}")
        ax.axhline(0, color="0.7", lw=0.6)
        ax.set_xlabel("expected coincidences x_i·δ_j")
        ax.legend(fontsize=8)
    ax_dx.set_ylabel(f"Δx (state {model}, w/D)")
    ax_dx.set_title("State change vs product")
    ax_dg.set_ylabel("ΔG read by the simulator (µS)")
    ax_dg.set_title(f"Conductance change vs product (read at {v_read_V:g} V)")

    r, c = zoom_cell(expected)
    spans = np.asarray(slot_spans_s, dtype=float)
    shown = min(zoom_slots, len(spans))
    t0, t1 = spans[0, 0] - margin_s, spans[shown - 1, 1] + margin_s
    time_ns = np.asarray(time_s) * 1e9
    window = (time_s >= t0) & (time_s <= t1)
    # The cell trace goes underneath: where only the word line pulses the two coincide.
    ax_zoom.plot(time_ns[window], cell_V[window, r, c], color="0.55", lw=3.5, label=f"cell ({r}, {c}): word − bit")
    ax_zoom.plot(time_ns[window], word_V[window, r, c], lw=1.2, label=f"word line {r} (x = {x[r]})")
    ax_zoom.plot(time_ns[window], bit_V[window, r, c], lw=1.2, label=f"bit line {c} (δ = {delta[c]:+d})")
    for sign in (1, -1):
        ax_zoom.axhline(sign * level_V, color="tab:red", ls="--", lw=0.8,
                        label="counting level ±0.75·V_W" if sign > 0 else None)
    if threshold_V is not None:
        ax_zoom.axhline(threshold_V, color="tab:purple", ls=":", lw=1, label=f"device threshold {threshold_V:g} V")
    ax_zoom.set_xlabel("time (ns)")
    ax_zoom.set_ylabel("voltage (V)")
    ax_zoom.set_title(f"First {shown} write slots at cell ({r}, {c})")
    ax_zoom.legend(fontsize=7, loc="lower right")

    figure.suptitle(title)
    path = Path(path)
    _write_atomically(figure, path, dpi=dpi)
    return path
