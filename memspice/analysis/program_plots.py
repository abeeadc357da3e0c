"""Figure of a programming run: write-verify convergence, final conductances of both methods,
and the calibration curves the open-loop method counted its pulses on.

matplotlib is imported inside the function (``import memspice.analysis`` stays cheap).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from memspice.analysis.plots import _write_atomically


def plot_program(history: pd.DataFrame, target_S: np.ndarray, finals_S: dict[str, np.ndarray], *,
                 tolerance_S: float, curve_up_S: np.ndarray, curve_down_S: np.ndarray, title: str, path: Path,
                 dpi: int = 150) -> Path:
    """Three panels: |G − G_target| (µS) after each write-verify pulse, one line per cell, with
    the tolerance; final G vs target G for each method in ``finals_S``; the calibration read-back
    after each open-loop pulse, up and down."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(15.0, 4.6), layout="constrained")
    ax_conv, ax_final, ax_cal = figure.subplots(1, 3)
    for (row, col), cell in history.groupby(["row", "col"]):
        ax_conv.semilogy(cell["pulse"], np.abs(cell["error_S"]) * 1e6, "o-", lw=0.9, ms=3, alpha=0.8)
    ax_conv.axhline(tolerance_S * 1e6, color="k", ls="--", lw=1, label=f"tolerance {tolerance_S * 1e6:.3g} µS")
    ax_conv.set_xlabel("write-verify pulse number (per cell)")
    ax_conv.set_ylabel("|G − G_target| (µS)")
    ax_conv.set_title("Write-verify convergence, one line per cell")
    ax_conv.legend(fontsize=8)
    ax_conv.xaxis.get_major_locator().set_params(integer=True)

    target = np.asarray(target_S).ravel() * 1e6
    span = np.array([target.min(), target.max()])
    ax_final.fill_between(span, span - tolerance_S * 1e6, span + tolerance_S * 1e6, color="0.85",
                          label="target ± tolerance")
    ax_final.plot(span, span, "k-", lw=0.8)
    for (method, final), marker in zip(finals_S.items(), ("o", "s", "^")):
        ax_final.plot(target, np.asarray(final).ravel() * 1e6, marker, ms=5, alpha=0.8, label=method)
    ax_final.set_xlabel("target conductance (µS)")
    ax_final.set_ylabel("programmed conductance, read back (µS)")
    ax_final.set_title("Final conductance vs target")
    ax_final.legend(fontsize=8)

    ax_cal.plot(np.arange(len(curve_up_S)), np.asarray(curve_up_S) * 1e6, "o-", ms=3, label="from low G, pulses up")
    ax_cal.plot(np.arange(len(curve_down_S)), np.asarray(curve_down_S) * 1e6, "s-", ms=3,
                label="from high G, pulses down")
    ax_cal.set_xlabel("open-loop pulses (fixed width)")
    ax_cal.set_ylabel("read-back conductance (µS)")
    ax_cal.set_title("Calibration (1 × 1 device)")
    ax_cal.legend(fontsize=8)
    figure.suptitle(title)
    _write_atomically(figure, Path(path), dpi=dpi)
    return Path(path)
