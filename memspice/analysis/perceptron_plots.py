"""The figure of a perceptron training: misclassified patterns and output margin per epoch,
and the weights G⁺ − G⁻ before and after, as in Prezioso et al.'s figure 3."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from memspice.analysis.plots import _write_atomically

if TYPE_CHECKING:
    import pandas as pd


def plot_training(history: "pd.DataFrame", g_first_S: np.ndarray, g_last_S: np.ndarray, path: Path, *,
                  title: str, stuck_weights: np.ndarray | None = None, dpi: int = 150) -> Path:
    """Four panels: misclassified vs epoch (SPICE and ideal), the smallest and mean output
    margin (A) vs epoch, and the weight maps G⁺ − G⁻ (µS) of the first and last epoch, with a
    cross on every weight one of whose devices is stuck (``stuck_weights``, ``(inputs, outputs)`` bool)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(15.0, 4.2), layout="constrained")
    ax_wrong, ax_margin, ax_first, ax_last = figure.subplots(1, 4, width_ratios=(1.2, 1.2, 0.8, 0.8))
    ax_wrong.plot(history.epoch, history.misclassified, "o-", ms=4, label="SPICE")
    ax_wrong.plot(history.epoch, history.misclassified_ideal, "s--", ms=3, label="ideal Manhattan steps")
    ax_wrong.set_xlabel("Epoch")
    ax_wrong.set_ylabel("Misclassified patterns (of 30)")
    ax_wrong.set_title("Classification")
    ax_wrong.grid(alpha=0.3)
    ax_wrong.legend()
    ax_margin.plot(history.epoch, 1e6 * history.min_margin_A, "o-", ms=4, label="smallest margin")
    ax_margin.plot(history.epoch, 1e6 * history.mean_margin_A, "s-", ms=3, label="mean margin")
    ax_margin.axhline(0.0, color="k", lw=0.8)
    ax_margin.set_xlabel("Epoch")
    ax_margin.set_ylabel("I_correct − max I_other (µA)")
    ax_margin.set_title("Output separation")
    ax_margin.grid(alpha=0.3)
    ax_margin.legend()
    for ax in (ax_wrong, ax_margin):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    outputs = g_first_S.shape[1] // 2
    weights = [1e6 * (g[:, :outputs] - g[:, outputs:]) for g in (g_first_S, g_last_S)]
    limit = max(float(np.abs(w).max()) for w in weights) or 1.0
    for ax, w, name in ((ax_first, weights[0], "first epoch"), (ax_last, weights[1], "last epoch")):
        ax.set_xticks(range(outputs))
        image = ax.imshow(w, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto", interpolation="nearest")
        if stuck_weights is not None and stuck_weights.any():
            rows, cols = np.nonzero(stuck_weights)
            ax.plot(cols, rows, "kx", ms=9, mew=1.5, label="stuck device")
            ax.legend(loc="lower right", fontsize=7, framealpha=0.8)
        ax.set_title(f"G+ − G− ({name})")
        ax.set_xticklabels(["z", "v", "n"][:outputs] if outputs == 3 else range(outputs))
        ax.set_xlabel("Output (z, v, n)")
        ax.set_ylabel("Input (9 pixels, bias)")
    figure.colorbar(image, ax=[ax_first, ax_last], label="Weight (µS)")
    figure.suptitle(title)
    path = Path(path)
    _write_atomically(figure, path, dpi=dpi)
    return path
