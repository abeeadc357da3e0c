"""Figures of the spiking network (issue 19): raster, waveforms, weights per epoch, STDP window."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np

from memspice.analysis.plots import _write_atomically

if TYPE_CHECKING:
    import pandas as pd

_LETTER_COLOURS = {"z": "tab:blue", "v": "tab:orange", "n": "tab:green"}


def plot_raster(spikes: "pd.DataFrame", neurons: int, path: Path, *, dpi: int = 150) -> Path:
    """Input spikes (9 pixels) and output spikes (``neurons``) against the run's time (µs), each
    presentation shaded by its letter and labelled (train / test)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(13.0, 5.0), layout="constrained")
    ax_in, ax_out = figure.subplots(2, 1, sharex=True, height_ratios=(9, max(neurons, 2)))
    segments = spikes.groupby("segment", sort=True)
    starts = {}
    for segment, rows in segments:
        starts[segment] = (rows.run_time_s - rows.time_s).iloc[0]
    bounds = sorted(starts.items(), key=lambda item: item[1])
    ends = [s for _, s in bounds[1:]] + [float(spikes.run_time_s.max()) * 1.0001]
    for (segment, start), stop in zip(bounds, ends):
        rows = spikes[spikes.segment == segment]
        letter, phase = rows.letter.iloc[0], rows.phase.iloc[0]
        for ax in (ax_in, ax_out):
            ax.axvspan(1e6 * start, 1e6 * stop, color=_LETTER_COLOURS.get(letter, "grey"),
                       alpha=0.12 if phase == "train" else 0.3, lw=0)
        ax_in.text(1e6 * (start + stop) / 2, 9.1, f"{letter}{'*' if phase == 'test' else ''}", ha="center",
                   va="bottom", fontsize=8)
    inputs = spikes[spikes.kind == "input"]
    outputs = spikes[spikes.kind == "output"]
    ax_in.scatter(1e6 * inputs.run_time_s, inputs["index"], marker="|", s=18, color="k", lw=0.8)
    ax_in.set_ylim(-0.7, 9.8)
    ax_in.set_yticks(range(9))
    ax_in.set_ylabel("Input pixel")
    ax_in.set_title("Spike raster (shading: letter presented; * = test with learning off)")
    ax_out.scatter(1e6 * outputs.run_time_s, outputs["index"], marker="|", s=60, color="tab:red", lw=1.5)
    ax_out.set_ylim(-0.7, neurons - 0.3)
    ax_out.set_yticks(range(neurons))
    ax_out.set_ylabel("Output neuron")
    ax_out.set_xlabel("Simulated time, presentations end to end (µs)")
    path = Path(path)
    _write_atomically(figure, path, dpi=dpi)
    return path


def plot_waveforms(waves: Mapping[str, np.ndarray], v_threshold_V: float, path: Path, *, dpi: int = 150) -> Path:
    """One presentation: membranes with V_th, latch (spike) outputs, pre- and post-traces, and
    the device states of every synapse, against time (ns)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11.0, 9.0), layout="constrained")
    axes = figure.subplots(4, 1, sharex=True)
    t = 1e9 * waves["time_s"]
    neurons = waves["membrane_V"].shape[1]
    for j in range(neurons):
        axes[0].plot(t, waves["membrane_V"][:, j], lw=1, label=f"neuron {j}")
        axes[1].plot(t, waves["spike_V"][:, j], lw=1, label=f"neuron {j}")
        axes[2].plot(t, waves["post_trace_V"][:, j], lw=1.2, ls="--", label=f"post-trace {j}")
    axes[0].axhline(v_threshold_V, color="k", ls=":", lw=1, label="V_th")
    axes[0].set_ylabel("Membrane (V)")
    axes[0].set_title(f"One training presentation of letter {waves['letter']}")
    axes[0].legend(ncol=neurons + 1, fontsize=8, loc="upper right")
    axes[1].set_ylabel("Latch / spike (V)")
    for i in range(waves["pre_trace_V"].shape[1]):
        axes[2].plot(t, waves["pre_trace_V"][:, i], lw=0.7, color="grey", alpha=0.8,
                     label="pre-traces (9 pixels)" if i == 0 else None)
    axes[2].set_ylabel("Trace (V)")
    axes[2].legend(fontsize=8, loc="upper right", ncol=4)
    state = waves["state"].reshape(len(t), -1)
    axes[3].plot(t, state, lw=0.7)
    axes[3].set_ylabel("Synapse state x (0 = ON)")
    axes[3].set_xlabel("Time (ns)")
    for ax in axes:
        ax.grid(alpha=0.3)
    path = Path(path)
    _write_atomically(figure, path, dpi=dpi)
    return path


def plot_weights(conductances_S: Sequence[np.ndarray], assignment: Mapping[str, int | None], path: Path, *,
                 dpi: int = 150) -> Path:
    """Each neuron's 9 conductances (µS) as a 3×3 image (rows) for the initial state and every
    epoch (columns), one colour scale; a neuron's row names the letter it fires first for."""
    from matplotlib.figure import Figure

    epochs, neurons = len(conductances_S), conductances_S[0].shape[1]
    figure = Figure(figsize=(1.5 * epochs + 1.5, 1.55 * neurons + 0.9), layout="constrained")
    axes = np.atleast_2d(figure.subplots(neurons, epochs, squeeze=False))
    low = min(float(g.min()) for g in conductances_S) * 1e6
    high = max(float(g.max()) for g in conductances_S) * 1e6
    letters = {n: letter for letter, n in assignment.items() if n is not None}
    image = None
    for e, g in enumerate(conductances_S):
        for j in range(neurons):
            ax = axes[j, e]
            image = ax.imshow(1e6 * g[:, j].reshape(3, 3), cmap="viridis", vmin=low, vmax=high, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_title("initial" if e == 0 else f"epoch {e}", fontsize=9)
            if e == 0:
                ax.set_ylabel(f"neuron {j}" + (f"\n(fires for {letters[j]})" if j in letters else ""), fontsize=9)
    figure.colorbar(image, ax=axes, label="Conductance (µS)", shrink=0.9)
    path = Path(path)
    _write_atomically(figure, path, dpi=dpi)
    return path


def plot_stdp_window(dt_s: np.ndarray, dg_S: np.ndarray, tau_ltp_s: float, a_ltp_S: float, tau_ltd_s: float,
                     a_ltd_S: float, tau_rc_s: float, path: Path, *, dpi: int = 150) -> Path:
    """Measured ΔG (µS) against Δt = t_post − t_pre (ns), with each side's fitted exponential."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.0, 4.5), layout="constrained")
    ax = figure.subplots()
    ax.plot(1e9 * dt_s, 1e6 * dg_S, "o", color="k", label="simulated pairs (ngspice)")
    t = np.linspace(0, float(np.abs(dt_s).max()), 200)
    ax.plot(1e9 * t, 1e6 * a_ltp_S * np.exp(-t / tau_ltp_s), color="tab:red",
            label=f"LTP fit: τ = {1e9 * tau_ltp_s:.1f} ns")
    ax.plot(-1e9 * t, 1e6 * a_ltd_S * np.exp(-t / tau_ltd_s), color="tab:blue",
            label=f"LTD fit: τ = {1e9 * tau_ltd_s:.1f} ns")
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("Δt = t_post − t_pre (ns)")
    ax.set_ylabel("Synapse conductance change ΔG (µS)")
    ax.set_title(f"Measured STDP window (trace R·C = {1e9 * tau_rc_s:.0f} ns)")
    ax.grid(alpha=0.3)
    ax.legend()
    path = Path(path)
    _write_atomically(figure, path, dpi=dpi)
    return path
