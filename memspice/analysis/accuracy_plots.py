"""Figures of the accuracy chain: the staircase with error bars beside a confusion matrix, and
accuracy against a swept quantity (plots take arrays and tables, not results)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

_LABELS = {"software": "software\n(float)", "quantised": "quantised\n(L levels)", "mapped": "mapped +\nprogramming",
           "wires": "+ tiles,\nwires (SPICE)", "chip": "+ bit-serial,\nTIA, ADC", "randomised": "10 % weights\nrandomised",
           "retrained": "last layer\nretrained"}


def plot_accuracy_chain(chain: "pd.DataFrame", confusion: np.ndarray, path: Path, *, title: str,
                        levels: int | None = None, randomised: float | None = None) -> Path:
    """Left: accuracy (%) of every step of ``chain`` (columns step, accuracy_mean, accuracy_std,
    draws) with ±1 std error bars; right: the ``(10, 10)`` confusion matrix (row = true class).
    ``levels`` and ``randomised`` (a fraction) name the quantisation and the randomised share in the labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [1.7, 1]})
    x = np.arange(len(chain))
    mean, std = 100 * chain.accuracy_mean.to_numpy(), 100 * chain.accuracy_std.to_numpy()
    colours = ["tab:blue" if step in ("software", "quantised") else
               "tab:orange" if step in ("randomised", "retrained") else "tab:green" for step in chain.step]
    left.bar(x, mean, yerr=std, capsize=5, color=colours, alpha=0.85)
    for k, (m, s, n) in enumerate(zip(mean, std, chain.draws)):
        left.text(k, m + s + 0.3, f"{m:.2f}" + (f"\n±{s:.2f}" if n > 1 else ""), ha="center", va="bottom", fontsize=8)
    labels = dict(_LABELS)
    if levels is not None:
        labels["quantised"] = f"quantised\n({levels} levels)"
    if randomised is not None:
        labels["randomised"] = f"{100 * randomised:g} % weights\nrandomised"
    left.set_xticks(x, [labels.get(step, step) for step in chain.step], fontsize=8)
    low = max(0.0, float(np.min(mean - std)) - 5)
    left.set_ylim(low, 101)
    left.set_ylabel("test accuracy (%)")
    left.set_title("accuracy chain (error bars: ±1 std over draws)", fontsize=10)
    left.grid(axis="y", alpha=0.3)
    image = right.imshow(confusion, cmap="Blues")
    for (i, j), count in np.ndenumerate(confusion):
        if count:
            right.text(j, i, str(count), ha="center", va="center", fontsize=7,
                       color="white" if count > confusion.max() / 2 else "black")
    right.set_xticks(range(10))
    right.set_yticks(range(10))
    right.set_xlabel("predicted digit")
    right.set_ylabel("true digit")
    right.set_title("confusion matrix of the chip (draw 0)", fontsize=10)
    fig.colorbar(image, ax=right, fraction=0.046, label="test images")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def plot_accuracy_curves(x: Sequence[float], curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path, *,
                         xlabel: str, title: str, log_x: bool = False, reference: float | None = None) -> Path:
    """Accuracy (%) against ``x``: one line with ±1 std band per entry of ``curves``
    (name -> (mean, std), fractions); ``reference`` a dashed horizontal line (a fraction)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    xs = np.asarray(x, dtype=float)
    for name, (mean, std) in curves.items():
        mean, std = 100 * np.asarray(mean), 100 * np.asarray(std)
        ax.errorbar(xs, mean, yerr=std, marker="o", capsize=3, label=name)
    if reference is not None:
        ax.axhline(100 * reference, ls="--", color="grey", label="ideal device")
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
