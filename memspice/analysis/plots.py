"""Figures of the hysteresis fingerprints.

matplotlib is imported inside the plotting function, never at module import, so that
``import memspice.analysis`` stays cheap. Figures are built on
:class:`matplotlib.figure.Figure` directly (no pyplot global state) and rendered by Agg.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from memspice.analysis.fingerprints import Fingerprint
from memspice.errors import ParameterError

#: SI prefixes by power of ten, as exact float literals (``10.0 ** -6`` need not be ``1e-06``).
_SI_PREFIXES: dict[int, tuple[float, str]] = {
    -15: (1e-15, "f"),
    -12: (1e-12, "p"),
    -9: (1e-9, "n"),
    -6: (1e-6, "µ"),
    -3: (1e-3, "m"),
    0: (1.0, ""),
    3: (1e3, "k"),
    6: (1e6, "M"),
    9: (1e9, "G"),
    12: (1e12, "T"),
}


def si_prefix(value: float) -> tuple[float, str]:
    """The SI prefix that shows ``value`` with a mantissa in ``[1, 1000)``.

    Returns ``(scale, prefix)`` such that ``value / scale`` is displayed with ``prefix``,
    e.g. ``si_prefix(2.5e-5) == (1e-6, "µ")``. Clamped to femto … tera; 0 and non-finite
    values get ``(1.0, "")``. For display only: ``M`` here is mega, never a SPICE suffix.
    """
    magnitude = abs(float(value))
    if magnitude == 0.0 or not math.isfinite(magnitude):
        return 1.0, ""
    # The small nudge keeps exact powers such as 1e3 (log10 = 2.9999999999999996) on the
    # right side of the boundary.
    exponent = 3 * math.floor(math.log10(magnitude) / 3 + 1e-9)
    return _SI_PREFIXES[min(max(exponent, -15), 12)]


def format_frequency(f_hz: float) -> str:
    """A frequency as text with an SI prefix: ``1 Hz``, ``10 Hz``, ``1 kHz``, ``2.5 MHz``."""
    scale, prefix = si_prefix(f_hz)
    return f"{f_hz / scale:.4g} {prefix}Hz"


def _write_atomically(figure: object, path: Path, *, dpi: int) -> None:
    """Save ``figure`` to a temporary file beside ``path``, then rename it onto ``path``.

    A reader never sees a half-written image, and a failed save leaves no stray file.
    """
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        # The format is given explicitly: the temporary name must not decide it.
        figure.savefig(tmp_name, dpi=dpi, format=path.suffix.lstrip(".").lower() or "png")  # type: ignore[attr-defined]
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def plot_hysteresis(
    loops: Sequence[tuple[float, ArrayLike, ArrayLike]],
    fingerprints: Sequence[Fingerprint],
    path: str | os.PathLike[str],
    *,
    title: str,
    state_label: str | None = None,
    dpi: int = 150,
) -> Path:
    """Draw the pinched loops and the lobe-area trend side by side, and save the figure.

    Left panel: the V–I Lissajous loop of the last period at each frequency, current in
    an automatically chosen SI unit. Right panel: normalised lobe area against frequency
    on log–log axes, with a slope −1 guide through the highest frequency.

    Parameters
    ----------
    loops:
        ``(freq_hz, v_V, i_A)`` per frequency; ``v_V`` and ``i_A`` are one period, each of
        shape ``(n_k,)``.
    fingerprints:
        The :class:`Fingerprint` of each frequency (only ``freq_hz`` and ``lobe_area_norm``
        are drawn; points with zero area cannot sit on a log axis and are left out).
    path:
        Output image; the format follows the suffix (``.png``, ``.svg``, ``.pdf``).
    title:
        Figure title.
    state_label:
        Optional note drawn in the left panel (e.g. the device model and initial state).
    dpi:
        Resolution of raster output.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    if not loops:
        raise ParameterError("loops is empty; pass at least one (freq_hz, v_V, i_A) loop to plot")
    prepared: list[tuple[float, np.ndarray, np.ndarray]] = []
    for k, (freq_hz, v, i) in enumerate(loops):
        v_arr, i_arr = np.asarray(v, dtype=float), np.asarray(i, dtype=float)
        if v_arr.ndim != 1 or v_arr.shape != i_arr.shape:
            raise ParameterError(
                f"loops[{k}]: v_V and i_A must be 1-D arrays of the same length; "
                f"got shapes {v_arr.shape} and {i_arr.shape}"
            )
        prepared.append((float(freq_hz), v_arr, i_arr))
    prepared.sort(key=lambda loop: loop[0])
    out_path = Path(path)

    from matplotlib.figure import Figure  # deferred: keeps `import memspice.analysis` cheap

    figure = Figure(figsize=(11.0, 4.5), layout="constrained")
    ax_loop, ax_area = figure.subplots(1, 2)

    i_peak = max(float(np.max(np.abs(i_arr), initial=0.0)) for _, _, i_arr in prepared)
    i_scale, i_prefix = si_prefix(i_peak)
    colours = _colours(len(prepared))
    for (freq_hz, v_arr, i_arr), colour in zip(prepared, colours):
        # Repeat the first sample so the drawn loop is closed.
        ax_loop.plot(
            np.r_[v_arr, v_arr[:1]],
            np.r_[i_arr, i_arr[:1]] / i_scale,
            color=colour,
            linewidth=1.2,
            label=format_frequency(freq_hz),
        )
    ax_loop.axhline(0.0, color="0.6", linewidth=0.6)
    ax_loop.axvline(0.0, color="0.6", linewidth=0.6)
    ax_loop.set_xlabel("Voltage across device (V)")
    ax_loop.set_ylabel(f"Current ({i_prefix}A)")
    ax_loop.set_title("I–V loops, last period")
    ax_loop.legend(title="Drive frequency", fontsize="small")
    if state_label:
        ax_loop.text(
            0.02, 0.98, state_label, transform=ax_loop.transAxes, va="top", ha="left",
            fontsize="small", bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.8},
        )

    points = sorted((fp.freq_hz, fp.lobe_area_norm) for fp in fingerprints if fp.lobe_area_norm > 0)
    if points:
        freqs, areas = np.array(points).T
        ax_area.loglog(freqs, areas, marker="o", color="C0", label="simulated")
        if freqs.size >= 2:
            guide_f = np.array([freqs[-2], freqs[-1]])
            ax_area.loglog(
                guide_f, areas[-1] * freqs[-1] / guide_f, linestyle="--", color="0.5",
                label="slope −1 (ideal memristor)",
            )
        ax_area.legend(fontsize="small")
    ax_area.set_xlabel("Frequency (Hz)")
    ax_area.set_ylabel("Normalised lobe area A/(V_max·I_max)")
    ax_area.set_title("Lobe area vs frequency")
    ax_area.grid(True, which="both", linewidth=0.4, alpha=0.5)

    figure.suptitle(title)
    _write_atomically(figure, out_path, dpi=dpi)
    return out_path


def _colours(count: int) -> list[tuple[float, float, float, float]]:
    """``count`` colours from viridis, low frequency dark, high frequency light."""
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(x) for x in np.linspace(0.0, 0.85, count)]


@dataclass(frozen=True)
class GalleryPanel:
    """One panel of :func:`plot_gallery`: a model's V–I loops at several drive frequencies.

    Attributes
    ----------
    title:
        Panel title (the model's name or title).
    loops:
        ``(freq_hz, v_V, i_A)`` per frequency; ``v_V`` and ``i_A`` are one period, each of
        shape ``(n_k,)``.
    note:
        Optional text drawn in the panel's corner (e.g. the drive and the state variable).
    """

    title: str
    loops: Sequence[tuple[float, ArrayLike, ArrayLike]]
    note: str = ""


def plot_gallery(
    panels: Sequence[GalleryPanel],
    path: str | os.PathLike[str],
    *,
    title: str,
    columns: int = 3,
    dpi: int = 150,
) -> Path:
    """Draw a grid of V–I loops, one panel per model, and save the figure.

    Each panel shows the loops of one model at its drive frequencies (low frequency dark,
    high light, legend in the panel), voltage in V on the x axis and current on the y axis
    in an SI unit chosen per panel.

    Parameters
    ----------
    panels:
        One :class:`GalleryPanel` per model, drawn row by row in the given order.
    path:
        Output image; the format follows the suffix (``.png``, ``.svg``, ``.pdf``).
    title:
        Figure title.
    columns:
        Panels per row (>= 1).
    dpi:
        Resolution of raster output.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    if not panels:
        raise ParameterError("panels is empty; pass at least one GalleryPanel to plot")
    if not isinstance(columns, int) or columns < 1:
        raise ParameterError(f"columns={columns!r} must be an integer >= 1")
    prepared: list[tuple[GalleryPanel, list[tuple[float, np.ndarray, np.ndarray]]]] = []
    for p, panel in enumerate(panels):
        if not panel.loops:
            raise ParameterError(f"panels[{p}] ({panel.title!r}) has no loops; pass at least one (freq_hz, v_V, i_A)")
        loops = []
        for k, (freq_hz, v, i) in enumerate(panel.loops):
            v_arr, i_arr = np.asarray(v, dtype=float), np.asarray(i, dtype=float)
            if v_arr.ndim != 1 or v_arr.shape != i_arr.shape:
                raise ParameterError(
                    f"panels[{p}] ({panel.title!r}) loops[{k}]: v_V and i_A must be 1-D arrays of the same length; "
                    f"got shapes {v_arr.shape} and {i_arr.shape}"
                )
            loops.append((float(freq_hz), v_arr, i_arr))
        loops.sort(key=lambda loop: loop[0])
        prepared.append((panel, loops))
    out_path = Path(path)

    from matplotlib.figure import Figure  # deferred: keeps `import memspice.analysis` cheap

    columns = min(columns, len(prepared))
    rows = math.ceil(len(prepared) / columns)
    figure = Figure(figsize=(4.2 * columns, 3.6 * rows), layout="constrained")
    axes = np.atleast_1d(figure.subplots(rows, columns, squeeze=False)).ravel()
    for ax, (panel, loops) in zip(axes, prepared):
        i_peak = max(float(np.max(np.abs(i_arr), initial=0.0)) for _, _, i_arr in loops)
        i_scale, i_prefix = si_prefix(i_peak)
        for (freq_hz, v_arr, i_arr), colour in zip(loops, _colours(len(loops))):
            ax.plot(
                np.r_[v_arr, v_arr[:1]], np.r_[i_arr, i_arr[:1]] / i_scale,
                color=colour, linewidth=1.1, label=format_frequency(freq_hz),
            )
        ax.axhline(0.0, color="0.6", linewidth=0.5)
        ax.axvline(0.0, color="0.6", linewidth=0.5)
        ax.set_title(panel.title, fontsize="medium")
        ax.set_xlabel("Voltage across device (V)")
        ax.set_ylabel(f"Current ({i_prefix}A)")
        ax.legend(fontsize="x-small", loc="best", title="frequency", title_fontsize="x-small")
        if panel.note:
            ax.text(
                0.02, 0.98, panel.note, transform=ax.transAxes, va="top", ha="left", fontsize="x-small",
                bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.8},
            )
    for ax in axes[len(prepared):]:
        ax.set_visible(False)
    figure.suptitle(title)
    _write_atomically(figure, out_path, dpi=dpi)
    return out_path


@dataclass(frozen=True)
class SwitchingMark:
    """A point to mark on :func:`plot_selector_iv`: ``kind`` ``"on"`` (threshold) or ``"off"``
    (hold), at voltage ``v_V`` (V) and current ``i_A`` (A), with a short ``label``."""

    kind: str
    v_V: float
    i_A: float
    label: str = ""


def plot_selector_iv(
    v_V: ArrayLike,
    i_A: ArrayLike,
    path: str | os.PathLike[str],
    *,
    title: str,
    time_s: ArrayLike | None = None,
    states: dict[str, ArrayLike] | None = None,
    marks: Sequence[SwitchingMark] = (),
    x_label: str = "Voltage across the device (V)",
    note: str = "",
    dpi: int = 150,
) -> Path:
    """Draw a selector (or 1S1R) I–V sweep with its threshold and hold points, and save it.

    Panels: the I–V on linear axes (current in an SI unit), the same with log |I|, and (with
    ``time_s`` and ``states``) the state variables against time. Threshold points are drawn
    as red triangles, hold points as green circles, on both I–V panels; their labels are
    listed in a box at the top of the log panel (where |I| is smallest, near 0 V).

    Parameters
    ----------
    v_V, i_A:
        The sweep, shape ``(points,)``: voltage (V) and current (A).
    path:
        Output image; the format follows the suffix.
    title:
        Figure title.
    time_s:
        Sample times (s), shape ``(points,)``; needed for the state panel.
    states:
        ``{label: values}``, each of shape ``(points,)`` (dimensionless states in [0, 1]).
    marks:
        Threshold (``kind="on"``) and hold (``kind="off"``) points.
    x_label:
        Label of the voltage axis (with its unit).
    note:
        Text drawn in the corner of the linear I–V panel.
    dpi:
        Resolution of raster output.
    """
    v = np.asarray(v_V, dtype=float)
    i = np.asarray(i_A, dtype=float)
    if v.ndim != 1 or v.shape != i.shape or v.size < 2:
        raise ParameterError(f"v_V and i_A must be 1-D arrays of one length >= 2; got shapes {v.shape} and {i.shape}")
    state_items = list((states or {}).items())
    if state_items:
        if time_s is None:
            raise ParameterError("states are given without time_s; pass the sample times (s) to draw them")
        t = np.asarray(time_s, dtype=float)
        for label, values in state_items:
            if np.asarray(values).shape != v.shape or t.shape != v.shape:
                raise ParameterError(f"state {label!r} and time_s must have the shape of v_V {v.shape}")
    out_path = Path(path)

    from matplotlib.figure import Figure  # deferred: keeps `import memspice.analysis` cheap

    panels = 3 if state_items else 2
    figure = Figure(figsize=(5.0 * panels, 4.4), layout="constrained")
    axes = figure.subplots(1, panels)
    ax_lin, ax_log = axes[0], axes[1]
    i_scale, i_prefix = si_prefix(float(np.max(np.abs(i))))
    ax_lin.plot(v, i / i_scale, color="C0", linewidth=1.1)
    magnitude = np.abs(i)
    # The sweep passes through 0 V, where |I| dips by many decades: start the log axis a
    # decade below the smallest current of the bulk of the sweep (5th percentile) instead.
    positive = magnitude[magnitude > 0]
    floor = max(0.1 * float(np.percentile(positive, 5)), 1e-30) if positive.size else 1e-18
    ax_log.semilogy(v, np.maximum(magnitude, floor), color="C0", linewidth=1.1)
    styles = {"on": ("^", "C3", "threshold (turn-on)"), "off": ("o", "C2", "hold (release)")}
    seen: set[str] = set()
    for mark in marks:
        marker, colour, legend = styles.get(mark.kind, ("s", "k", mark.kind))
        label = legend if mark.kind not in seen else None
        seen.add(mark.kind)
        ax_lin.plot([mark.v_V], [mark.i_A / i_scale], marker=marker, color=colour, markersize=8, linestyle="none", label=label)
        ax_log.plot([mark.v_V], [max(abs(mark.i_A), floor)], marker=marker, color=colour, markersize=8, linestyle="none")
    # Labels go in one box rather than beside each point: hold points of both polarities sit
    # at the same current, and a 1S1R's hold and threshold points can nearly coincide.
    labels = [mark.label for mark in marks if mark.label]
    if labels:
        ax_log.text(0.5, 0.98, "\n".join(labels), transform=ax_log.transAxes, va="top", ha="center",
                    fontsize="x-small", bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85})
    for ax in (ax_lin, ax_log):
        ax.axvline(0.0, color="0.6", linewidth=0.5)
        ax.set_xlabel(x_label)
        ax.grid(True, which="major", linewidth=0.4, alpha=0.5)
    ax_lin.axhline(0.0, color="0.6", linewidth=0.5)
    ax_lin.set_ylabel(f"Current ({i_prefix}A)")
    ax_lin.set_title("I–V")
    # Headroom above the largest current for the box of labels.
    ax_log.set_ylim(bottom=floor, top=float(np.max(magnitude)) * (1e3 if labels else 3.0))
    ax_log.set_ylabel("|Current| (A)")
    ax_log.set_title("I–V, log |I|")
    if marks:
        ax_lin.legend(fontsize="small", loc="lower right")
    if note:
        ax_lin.text(0.02, 0.98, note, transform=ax_lin.transAxes, va="top", ha="left", fontsize="x-small",
                    bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.8})
    if state_items:
        ax_state = axes[2]
        t = np.asarray(time_s, dtype=float)
        t_scale, t_prefix = si_prefix(float(np.max(np.abs(t))))
        for k, (label, values) in enumerate(state_items):
            ax_state.plot(t / t_scale, np.asarray(values, dtype=float), color=f"C{k + 1}", linewidth=1.1, label=label)
        ax_state.set_xlabel(f"Time ({t_prefix}s)")
        ax_state.set_ylabel("State (1)")
        ax_state.set_ylim(-0.05, 1.05)
        ax_state.set_title("States")
        ax_state.legend(fontsize="small")
        ax_state.grid(True, linewidth=0.4, alpha=0.5)
    figure.suptitle(title)
    _write_atomically(figure, out_path, dpi=dpi)
    return out_path
