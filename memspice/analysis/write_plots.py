"""Figures of the write studies: the disturb map of one write and the pass map of a write margin.

They take arrays and labels (no study result types). matplotlib is imported inside each
function (``import memspice.analysis`` stays cheap); files are written through
:func:`memspice.analysis.plots._write_atomically`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from memspice.analysis.plots import _write_atomically


def plot_write_scheme(
    abs_d_state: np.ndarray,
    v_peak_V: np.ndarray,
    selected: np.ndarray,
    path: Path,
    *,
    state_label: str,
    title: str,
    dpi: int = 120,
) -> Path:
    """Heat maps of |Δstate| and of the peak |cell voltage| over the array, selected cells outlined.

    ``abs_d_state``, ``v_peak_V`` (V) and ``selected`` (bool) are ``(rows, cols)``;
    ``state_label`` labels the |Δstate| colour bar.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    figure = Figure(figsize=(11, 4.6), layout="constrained")
    axes = figure.subplots(1, 2)
    for ax, values, panel_title, label in (
        (axes[0], abs_d_state, "|Δ state| after the pulse", state_label),
        (axes[1], v_peak_V, "peak |cell voltage| during the pulse", "V"),
    ):
        image = ax.imshow(values, cmap="viridis", origin="upper", aspect="auto")
        figure.colorbar(image, ax=ax, label=label)
        ax.set_title(panel_title)
        ax.set_xlabel("column (bit line)")
        ax.set_ylabel("row (word line)")
        for r, c in zip(*np.nonzero(selected)):
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=1.5))
    figure.suptitle(title)
    path = Path(path)
    _write_atomically(figure, path, dpi=dpi)
    return path


#: Point kinds of the pass map: colour, marker, legend label.
_KINDS: tuple[tuple[str, str, str], ...] = (
    ("tab:green", "o", "pass"),
    ("tab:red", "X", "fail: disturb (targets switched, another cell moved)"),
    ("0.6", "s", "fail: no switch (a target did not switch)"),
)


def plot_write_margin(
    passed: np.ndarray,
    switched: np.ndarray,
    path: Path,
    *,
    v_write_V: Sequence[float],
    pulse_width_s: Sequence[float],
    panel_titles: Sequence[Sequence[str]],
    title: str,
    dpi: int = 150,
) -> Path:
    """Pass/fail maps over V_W × pulse width, a grid of panels (e.g. array sizes × wire resistances).

    ``passed`` and ``switched`` are bool ``(panel_rows, panel_cols, widths, amplitudes)``;
    ``v_write_V`` (V) and ``pulse_width_s`` (s) are the axes, ascending; ``panel_titles`` is
    ``(panel_rows, panel_cols)``. Passing points are green (with the passing V_W span of each
    width shaded), failing points red when the targets switched (disturb) and grey when they did not.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    passed = np.asarray(passed, dtype=bool)
    switched = np.asarray(switched, dtype=bool)
    v = np.asarray(v_write_V, dtype=float)
    widths_ns = np.asarray(pulse_width_s, dtype=float) * 1e9
    n_r, n_c = passed.shape[:2]
    size = (7.0, 4.8) if n_r * n_c == 1 else (0.6 + 3.6 * n_c, 1.3 + 2.9 * n_r)
    figure = Figure(figsize=size, layout="constrained")
    axes = np.atleast_2d(figure.subplots(n_r, n_c, sharex=True, sharey=True, squeeze=False))
    vv, ww = np.meshgrid(v, widths_ns)
    for i in range(n_r):
        for j in range(n_c):
            ax = axes[i, j]
            ok, moved = passed[i, j], switched[i, j]
            for mask, (colour, marker, _) in zip((ok, ~ok & moved, ~ok & ~moved), _KINDS):
                if mask.any():
                    ax.scatter(vv[mask], ww[mask], s=110 if n_r * n_c > 1 else 160, c=colour, marker=marker,
                               edgecolors="black", linewidths=0.6, zorder=3)
            for k in range(widths_ns.size):  # shade the passing V_W span of every width
                span = v[ok[k]]
                if span.size:
                    ax.plot([span.min(), span.max()], [widths_ns[k]] * 2, color="tab:green", linewidth=8, alpha=0.25,
                            solid_capstyle="round", zorder=2)
            ax.set_title(panel_titles[i][j], fontsize=9)
            ax.grid(alpha=0.3)
    ax = axes[0, 0]
    if widths_ns.size > 1 and widths_ns.max() / widths_ns.min() >= 10:
        ax.set_yscale("log")
    ax.set_yticks(list(widths_ns), [f"{w:g}" for w in widths_ns])
    ax.minorticks_off()
    pad = 0.08 * (v.max() - v.min()) if v.size > 1 else 0.1 * v[0]
    ax.set_xlim(v.min() - pad, v.max() + pad)
    if v.size <= 12:  # tick every amplitude of the grid
        ax.set_xticks(list(v), [f"{x:g}" for x in v])
    for bottom in axes[-1, :]:
        bottom.set_xlabel("Write amplitude V_W (V)")
    for left in axes[:, 0]:
        left.set_ylabel("Pulse width (ns)")
    figure.suptitle(title, fontsize=10)
    handles = [Line2D([], [], linestyle="", marker=m, markersize=9, markerfacecolor=c, markeredgecolor="black",
                      label=label) for c, m, label in _KINDS]
    figure.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=8, frameon=False)
    path = Path(path)
    _write_atomically(figure, path, dpi=dpi)
    return path
