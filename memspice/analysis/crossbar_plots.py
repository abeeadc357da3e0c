"""Figures of crossbar studies: read error maps and read margin against array size.

matplotlib is imported inside each function (``import memspice.analysis`` stays cheap);
files are written through :func:`memspice.analysis.plots._write_atomically`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from memspice.analysis.plots import _write_atomically, si_prefix


def plot_crossbar_read(
    cell_voltages_V: np.ndarray,
    ideal_A: np.ndarray,
    simulated_A: np.ndarray,
    path: Path,
    *,
    title: str,
    ideal_label: str = "ideal Gᵀ·V",
    target_A: np.ndarray | None = None,
    conductances_S: tuple[np.ndarray, np.ndarray] | None = None,
    dpi: int = 150,
) -> Path:
    """Heat map of the voltage across every cell, beside ideal vs simulated column currents.

    ``cell_voltages_V`` is ``(rows, cols)``;
    ``ideal_A`` and ``simulated_A`` are ``(cols,)``; ``ideal_label`` names the ideal curve.
    For a device population, ``target_A`` (the currents of the target conductances) is drawn
    too and ``conductances_S`` = (targets, programmed) adds a histogram of the drawn cells.
    """
    from matplotlib.figure import Figure

    panels = 4 if conductances_S is not None else 3
    figure = Figure(figsize=(12.0 + 3.6 * (panels - 3), 4.6), layout="constrained")
    axes = figure.subplots(1, panels, width_ratios=(1.0, 1.2, 1.0, 1.0)[:panels])
    ax_map, ax_cols, ax_err = axes[:3]
    image = ax_map.imshow(cell_voltages_V, cmap="viridis", aspect="auto", interpolation="nearest")
    ax_map.set_title("Voltage across each cell")
    ax_map.set_xlabel("Column (bit line)")
    ax_map.set_ylabel("Row (word line)")
    figure.colorbar(image, ax=ax_map, label="Cell voltage (V)")

    scale, prefix = si_prefix(float(np.max(np.abs(ideal_A))))
    cols = np.arange(ideal_A.size)
    ax_cols.plot(cols, ideal_A / scale, "o-", ms=3, label=ideal_label)
    ax_cols.plot(cols, simulated_A / scale, "s-", ms=3, label="simulated")
    if target_A is not None:
        ax_cols.plot(cols, target_A / scale, "k--", lw=1, label="targets Gᵀ·V (before programming noise)")
    ax_cols.set_title("Column currents")
    ax_cols.set_xlabel("Column (bit line)")
    ax_cols.set_ylabel(f"Output current ({prefix}A)")
    ax_cols.grid(alpha=0.3)
    ax_cols.legend()

    full_scale = float(np.max(np.abs(ideal_A)))
    ax_err.bar(cols, 100.0 * (simulated_A - ideal_A) / full_scale, width=0.8)
    ax_err.set_title("Error vs ideal")
    ax_err.set_xlabel("Column (bit line)")
    ax_err.set_ylabel("(I_sim − I_ideal) / full scale (%)")
    ax_err.grid(alpha=0.3)
    if conductances_S is not None:
        _conductance_histogram(axes[3], *conductances_S)
    figure.suptitle(title)
    path = Path(path)
    _write_atomically(figure, path, dpi=dpi)
    return path


def _conductance_histogram(ax, target_S: np.ndarray, programmed_S: np.ndarray) -> None:
    """Histogram of the programmed conductances on a log axis, the distinct targets as lines."""
    g = np.asarray(programmed_S, dtype=float).ravel()
    bins = np.geomspace(max(g.min(), 1e-15), g.max() * 1.0001, 60)
    ax.hist(g, bins=bins, color="tab:blue", alpha=0.8, label="programmed (drawn)")
    ax.set_xscale("log")
    for k, level in enumerate(np.unique(target_S)[:4]):
        ax.axvline(level, color="k", ls="--", lw=1, label="target" if k == 0 else None)
    ax.set_title(f"Cell conductances ({g.size} cells)")
    ax.set_xlabel("Conductance (S)")
    ax.set_ylabel("Cells")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def plot_read_margin(
    sizes: Sequence[int],
    margins: Mapping[str, Sequence[float]],
    path: Path,
    *,
    title: str,
    dpi: int = 150,
) -> Path:
    """Read margin (I_on − I_off)/I_on against array size N (N × N), one line per cell kind."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.6), layout="constrained")
    ax = figure.subplots()
    for label, values in margins.items():
        ax.plot(sizes, 100.0 * np.asarray(values, dtype=float), "o-", label=label)
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(sizes), [str(n) for n in sizes])
    ax.set_xlabel("Array size N (N × N)")
    ax.set_ylabel("Read margin (I_on − I_off)/I_on (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(title="cell")
    path = Path(path)
    _write_atomically(figure, path, dpi=dpi)
    return path
