"""Figures of the hysteresis fingerprints.

matplotlib is imported inside the plotting function, never at module import, so that
``import memspice.analysis`` stays cheap. Figures are built on
:class:`matplotlib.figure.Figure` directly (no pyplot global state) and rendered by Agg.
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from memspice.analysis.fingerprints import Fingerprint
from memspice.errors import ParameterError

if TYPE_CHECKING:  # annotations only: matplotlib is imported when a figure is drawn
    from matplotlib.figure import Figure

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


#: Units shown with an SI prefix in the parameter panel and on axes (``16000 Ω`` -> ``16 kΩ``).
#: Compound or already prefixed units (``m/s``, ``nm``, ``V·s``, ``eV``) are shown as given.
_PREFIXABLE_UNITS = frozenset({"Ω", "A", "V", "s", "m", "S", "C", "F", "H", "W", "Hz"})


def format_quantity(value: float | str, unit: str = "", *, digits: int = 6) -> str:
    """A parameter value with its unit, for display: ``16 kΩ``, ``10 nm``, ``-8e-13 m/s``, ``biolek``.

    Words (variant parameters) are returned as they are. Numbers keep ``digits`` significant
    digits; base SI units get an SI prefix (:func:`si_prefix`), other units are appended
    unchanged, and a dimensionless number (``unit=""``) is shown bare.
    """
    if isinstance(value, str):
        return value
    number = float(value)
    if unit in _PREFIXABLE_UNITS and number != 0.0:
        # The prefix of the rounded value: 0.9999 A at 3 digits is 1 A, not 1e+03 mA.
        scale, prefix = si_prefix(float(f"{number:.{digits}g}"))
        return f"{number / scale:.{digits}g} {prefix}{unit}"
    return f"{number:.{digits}g} {unit}".rstrip()


def _write_atomically(figure: object, path: Path, *, dpi: int) -> None:
    """Save ``figure`` through :func:`memspice.files.atomic_open`: a reader never sees a
    half-written image, a failed save leaves no stray file, the mode is what the umask gives."""
    from memspice.files import atomic_open

    with atomic_open(Path(path), "wb") as stream:
        # The format is given explicitly: the temporary name must not decide it.
        figure.savefig(stream, dpi=dpi, format=Path(path).suffix.lstrip(".").lower() or "png")  # type: ignore[attr-defined]


#: Parameter panel of :func:`plot_hysteresis`: font size (pt) and the most lines in one column.
_PANEL_FONT_PT = 8.5
_PANEL_MAX_ROWS = 24
#: Largest ratio of loop peaks drawn on one common axis (see :func:`hysteresis_figure`).
_LOOP_RANGE_LIMIT = 20.0
#: Characters per line of the parameter panel before a note or a long value is wrapped.
_PANEL_WRAP_CHARS = 40
#: Longest parameter name the ``=`` signs are aligned to.
_PANEL_NAME_CHARS = 14
#: Advance width of one DejaVu Sans Mono character, in em (1233/2048).
_MONO_EM = 0.602


def _axis_unit_label(quantity: str, peak: float, unit: str) -> tuple[float, str]:
    """``(scale, label)`` of an axis showing ``quantity`` in ``unit``: an SI prefix for base
    units (``Current (µA)``), the unit as given otherwise, ``(1)`` when dimensionless."""
    if unit in _PREFIXABLE_UNITS:
        # The prefix of the peak as displayed: 0.999999 V is shown in V, not as 1000 mV.
        scale, prefix = si_prefix(float(f"{peak:.3g}"))
        return scale, f"{quantity} ({prefix}{unit})"
    return 1.0, f"{quantity} ({unit or '1'})"


def _parameter_lines(
    parameters: Sequence[tuple[str, float | str, str]], notes: Sequence[str]
) -> list[str]:
    """The lines of the parameter panel: wrapped notes, a blank line, then ``name = value unit``
    with the ``=`` signs aligned (the panel uses a monospaced font)."""
    lines: list[str] = []
    for note in notes:
        lines.extend(textwrap.wrap(note, _PANEL_WRAP_CHARS, break_on_hyphens=False) or [""])
    if lines and parameters:
        lines.append("")
    # Names are padded to the longest one up to _PANEL_NAME_CHARS; a longer name is not
    # padded, so that it does not widen every line.
    width = max((len(name) for name, _, _ in parameters if len(name) <= _PANEL_NAME_CHARS), default=0)
    for name, value, unit in parameters:
        head = f"{name:<{width}} = "
        room = max(_PANEL_WRAP_CHARS - len(head), 12)
        body = textwrap.wrap(format_quantity(value, unit), room, break_on_hyphens=False) or [""]
        lines.append(head + body[0])
        lines.extend(" " * len(head) + more for more in body[1:])
    return lines


def _panel_columns(lines: Sequence[str]) -> tuple[str, int]:
    """``lines`` laid out in as few columns of at most :data:`_PANEL_MAX_ROWS` lines as needed,
    as one block of text, and the block's width in characters."""
    if not lines:
        return "", 0
    n_columns = math.ceil(len(lines) / _PANEL_MAX_ROWS)
    rows = math.ceil(len(lines) / n_columns)
    columns = [list(lines[c * rows:(c + 1) * rows]) for c in range(n_columns)]
    widths = [max(len(line) for line in column) for column in columns]
    gap = "   "
    text_rows = []
    for r in range(rows):
        cells = [column[r] if r < len(column) else "" for column in columns]
        text_rows.append(gap.join(cell.ljust(w) for cell, w in zip(cells, widths)).rstrip())
    return "\n".join(text_rows), sum(widths) + len(gap) * (n_columns - 1)


def _prepare_traces(
    what: str, traces: Sequence[tuple[float, ArrayLike, ArrayLike]], names: tuple[str, str]
) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """``traces`` as float arrays, checked (1-D, equal lengths), sorted by frequency."""
    prepared: list[tuple[float, np.ndarray, np.ndarray]] = []
    for k, (freq_hz, a, b) in enumerate(traces):
        a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if a_arr.ndim != 1 or a_arr.shape != b_arr.shape:
            raise ParameterError(
                f"{what}[{k}]: {names[0]} and {names[1]} must be 1-D arrays of the same length; "
                f"got shapes {a_arr.shape} and {b_arr.shape}"
            )
        prepared.append((float(freq_hz), a_arr, b_arr))
    prepared.sort(key=lambda trace: trace[0])
    return prepared


def hysteresis_figure(
    loops: Sequence[tuple[float, ArrayLike, ArrayLike]],
    fingerprints: Sequence[Fingerprint],
    *,
    title: str,
    drive: str = "voltage",
    states: Sequence[tuple[float, ArrayLike, ArrayLike]] = (),
    state_name: str = "x",
    state_unit: str = "",
    state_bounds: tuple[float, float] | None = None,
    parameters: Sequence[tuple[str, float | str, str]] = (),
    notes: Sequence[str] = (),
    state_label: str | None = None,
) -> Figure:
    """The pinched loops, the state, the lobe-area trend and the parameters, as a figure not yet
    saved (:func:`plot_hysteresis` saves it; a caller or a test may inspect the layout).

    Panels, left to right: the loop of the last period at each frequency (the driven
    quantity on the x axis, both in an automatically chosen SI unit); with ``states``, the
    state over that period against t/T; the normalised lobe area against frequency on
    log–log axes, with a slope −1 guide through the highest frequency; with ``parameters``
    or ``notes``, a text panel listing them. One legend below the panels names the colour
    of each frequency.

    Parameters
    ----------
    loops:
        ``(freq_hz, v_V, i_A)`` per frequency; ``v_V`` and ``i_A`` are one period, each of
        shape ``(n_k,)``.
    fingerprints:
        The :class:`Fingerprint` of each frequency (only ``freq_hz`` and ``lobe_area_norm``
        are drawn; points with zero area cannot sit on a log axis and are left out).
    title:
        Figure title.
    state_label:
        Optional free-text note, wrapped into the text panel (after ``notes``).
    drive:
        ``"voltage"`` (V on the x axis of the loops) or ``"current"`` (I on the x axis).
    states:
        ``(freq_hz, time_s, state)`` per frequency over the same last period, each of shape
        ``(m_k,)``; empty: no state panel.
    state_name, state_unit:
        Name and unit of the state for its axis label (``""``: dimensionless).
    state_bounds:
        ``(low, high)`` drawn as dotted lines on the state panel, or None.
    parameters:
        ``(name, value, unit)`` per parameter, listed as ``name = value unit`` (SI prefixes
        for base units, ``unit=""`` for dimensionless numbers and words).
    notes:
        Lines of text above the parameters (wrapped).

    Returns
    -------
    matplotlib.figure.Figure
        The figure, drawn on an Agg canvas.
    """
    if not loops:
        raise ParameterError("loops is empty; pass at least one (freq_hz, v_V, i_A) loop to plot")
    if drive not in ("voltage", "current"):
        raise ParameterError(f"drive={drive!r} is not allowed; use voltage or current")
    prepared = _prepare_traces("loops", loops, ("v_V", "i_A"))
    state_traces = _prepare_traces("states", states, ("time_s", "state"))

    from matplotlib.backends.backend_agg import FigureCanvasAgg  # deferred, as below
    from matplotlib.figure import (
        Figure,  # deferred: keeps `import memspice.analysis` cheap
    )
    from matplotlib.lines import Line2D
    from matplotlib.ticker import NullFormatter

    all_notes = [*notes, *([state_label] if state_label else [])]
    panel_text, panel_chars = _panel_columns(_parameter_lines(parameters, all_notes))
    panel_in = max(panel_chars, len("Parameters")) * _MONO_EM * _PANEL_FONT_PT / 72.0 + 0.25 if panel_text else 0.0
    # Widths (in) of the plot panels: loops, state over a period (if given), lobe area.
    plot_in = [4.3, *([3.4] if state_traces else []), 3.4]
    ratios = [*plot_in, *([panel_in] if panel_text else [])]
    figure = Figure(figsize=(sum(ratios) + 1.0 * len(plot_in), 5.2), layout="constrained")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(1, len(ratios), width_ratios=ratios)
    ax_loop = figure.add_subplot(grid[0, 0])
    ax_state = figure.add_subplot(grid[0, 1]) if state_traces else None
    ax_area = figure.add_subplot(grid[0, len(plot_in) - 1])

    colours = dict(zip((f for f, _, _ in prepared), _colours(len(prepared))))
    # The driven quantity on the x axis: V–I loops for a voltage drive, I–V for a current drive.
    voltage_x = drive == "voltage"
    v_peaks = [float(np.max(np.abs(v_arr), initial=0.0)) for _, v_arr, _ in prepared]
    i_peaks = [float(np.max(np.abs(i_arr), initial=0.0)) for _, _, i_arr in prepared]
    v_scale, v_label = _axis_unit_label("Voltage across device", max(v_peaks), "V")
    i_scale, i_label = _axis_unit_label("Current through device", max(i_peaks), "A")
    response_peaks = i_peaks if voltage_x else v_peaks
    # Loops whose responses differ by more than _LOOP_RANGE_LIMIT would be flat lines on a
    # common axis (Stanford-PKU: 2 mA at 1 kHz, 7 µA at 10 kHz): each is then drawn over its
    # own peak, and the legend tells the peaks.
    per_loop = min(response_peaks) > 0 and max(response_peaks) > _LOOP_RANGE_LIMIT * min(response_peaks)
    legend_labels = [format_frequency(f) for f, _, _ in prepared]
    if per_loop:
        symbol, unit = ("I", "A") if voltage_x else ("V", "V")
        legend_labels = [
            f"{label} ({symbol} peak {format_quantity(peak, unit, digits=3)})" for label, peak in zip(legend_labels, response_peaks)
        ]
        if voltage_x:
            i_label = "Current / its peak at that frequency (1)"
        else:
            v_label = "Voltage / its peak at that frequency (1)"
    for (freq_hz, v_arr, i_arr), v_peak, i_peak in zip(prepared, v_peaks, i_peaks):
        v_div = v_peak if per_loop and not voltage_x else v_scale
        i_div = i_peak if per_loop and voltage_x else i_scale
        # Repeat the first sample so the drawn loop is closed.
        v_closed, i_closed = np.r_[v_arr, v_arr[:1]] / v_div, np.r_[i_arr, i_arr[:1]] / i_div
        ax_loop.plot(*((v_closed, i_closed) if voltage_x else (i_closed, v_closed)), color=colours[freq_hz], linewidth=1.2)
    ax_loop.axhline(0.0, color="0.6", linewidth=0.6)
    ax_loop.axvline(0.0, color="0.6", linewidth=0.6)
    ax_loop.set_xlabel(v_label if voltage_x else i_label)
    ax_loop.set_ylabel(i_label if voltage_x else v_label)
    ax_loop.set_title(f"{'I–V' if voltage_x else 'V–I'} loops, last period ({drive} drive)")
    ax_loop.grid(True, linewidth=0.4, alpha=0.4)

    if ax_state is not None:
        s_peak = max(float(np.max(np.abs(s_arr), initial=0.0)) for _, _, s_arr in state_traces)
        s_scale, s_label = _axis_unit_label(f"State {state_name}", s_peak, state_unit)
        for freq_hz, t_arr, s_arr in state_traces:
            phase = (t_arr - t_arr[0]) * freq_hz if t_arr.size else t_arr
            ax_state.plot(phase, s_arr / s_scale, color=colours.get(freq_hz, "k"), linewidth=1.2)
        if state_bounds is not None:
            for bound in state_bounds:
                ax_state.axhline(bound / s_scale, color="0.45", linestyle=":", linewidth=0.9)
            # The bounds with a margin, so that a bound line never hides in the frame.
            s_low = min(state_bounds[0], *(float(np.min(s, initial=np.inf)) for _, _, s in state_traces)) / s_scale
            s_high = max(state_bounds[1], *(float(np.max(s, initial=-np.inf)) for _, _, s in state_traces)) / s_scale
            pad = 0.05 * (s_high - s_low)
            ax_state.set_ylim(s_low - pad, s_high + pad)
        ax_state.set_xlim(0.0, 1.0)
        ax_state.set_xlabel("Time in the last period, t/T (1)")
        ax_state.set_ylabel(s_label)
        ax_state.set_title("State over the last period" + (" (dotted: bounds)" if state_bounds is not None else ""))
        ax_state.grid(True, linewidth=0.4, alpha=0.4)

    points = sorted((fp.freq_hz, fp.lobe_area_norm) for fp in fingerprints if fp.lobe_area_norm > 0)
    if points:
        freqs, areas = np.array(points).T
        ax_area.loglog(freqs, areas, color="0.35", linewidth=1.0, zorder=1)
        ax_area.scatter(freqs, areas, c=[colours.get(f, "k") for f in freqs], s=40, zorder=2, edgecolors="k", linewidths=0.5)
        shown = areas
        if freqs.size >= 2:
            guide_f = np.array([freqs[-2], freqs[-1]])
            guide = areas[-1] * freqs[-1] / guide_f
            shown = np.r_[areas, guide]
            ax_area.loglog(guide_f, guide, linestyle="--", color="0.5", label="slope −1 (ideal memristor)")
            ax_area.legend(fontsize="small", loc="best")
        # Whole decades with room around the points and the guide, so that at least two major
        # ticks are labelled and the minor ticks need no labels (a short log axis labels them all).
        low, high = float(shown.min()) / 1.5, float(shown.max()) * 1.5
        ax_area.set_ylim(10.0 ** math.floor(math.log10(low)), 10.0 ** math.ceil(math.log10(high)))
        ax_area.yaxis.set_minor_formatter(NullFormatter())
    else:
        ax_area.text(0.5, 0.5, "no loop with a lobe area > 0", transform=ax_area.transAxes, ha="center", va="center")
    ax_area.set_xlabel("Drive frequency (Hz)")
    ax_area.set_ylabel("Normalised lobe area, A/(V_max·I_max) (1)")
    ax_area.set_title("Lobe area vs frequency")
    ax_area.grid(True, which="both", linewidth=0.4, alpha=0.5)

    if panel_text:
        ax_text = figure.add_subplot(grid[0, -1])
        ax_text.set_axis_off()
        ax_text.set_title("Parameters", loc="left", fontsize="medium")
        ax_text.text(0.0, 1.0, panel_text, transform=ax_text.transAxes, va="top", ha="left",
                     fontsize=_PANEL_FONT_PT, family="monospace", linespacing=1.25)

    # One legend for every panel (a frequency has one colour throughout), below the panels
    # where it cannot cover a loop.
    handles = [Line2D([], [], color=colours[f], linewidth=2.0) for f, _, _ in prepared]
    figure.legend(handles, legend_labels, loc="outside lower center",
                  ncols=len(handles), title="Drive frequency", fontsize="small", title_fontsize="small", frameon=False)
    figure.suptitle(title)
    return figure


def plot_hysteresis(
    loops: Sequence[tuple[float, ArrayLike, ArrayLike]],
    fingerprints: Sequence[Fingerprint],
    path: str | os.PathLike[str],
    *,
    dpi: int = 150,
    **figure_options: Any,
) -> Path:
    """Draw :func:`hysteresis_figure` (``figure_options`` are its keyword arguments) and save it
    to ``path`` (format from the suffix: ``.png``, ``.svg``, ``.pdf``; ``dpi`` for raster output).
    Returns the path written."""
    out_path = Path(path)
    _write_atomically(hysteresis_figure(loops, fingerprints, **figure_options), out_path, dpi=dpi)
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
        prepared.append((panel, _prepare_traces(f"panels[{p}] ({panel.title!r}) loops", panel.loops, ("v_V", "i_A"))))
    out_path = Path(path)

    from matplotlib.figure import (
        Figure,  # deferred: keeps `import memspice.analysis` cheap
    )

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

    from matplotlib.figure import (
        Figure,  # deferred: keeps `import memspice.analysis` cheap
    )

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
