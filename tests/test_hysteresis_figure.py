"""The hysteresis figure of every catalog model is readable: laid out without warnings,
no panel squashed, no text clipped or overlapping a neighbour, legends clear of the data,
every axis labelled with its unit and every parameter listed with its unit.

The figures are drawn from short real ngspice studies (two periods, 200 points per period,
well under a second for the whole catalog) through the same arguments the report writer
passes to :func:`plot_hysteresis`.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

from memspice.analysis import fingerprint, last_period
from memspice.analysis.plots import _PANEL_WRAP_CHARS, format_quantity, hysteresis_figure, plot_hysteresis
from memspice.spicelib.catalog import all_models, variants
from memspice.studies.hysteresis import HysteresisConfig, hysteresis_plot_arguments, run_hysteresis

#: Smallest area of a data panel, as a fraction of the figure's area.
MIN_AXES_FRACTION = 0.08
#: Slack (px) for text extents that touch the figure's edge.
EDGE_PX = 1.0


def _cases() -> list[tuple[str, dict[str, str]]]:
    """Every catalog model at its defaults, and every word-valued variant (hp windows, TEAM forms ...)."""
    cases = []
    for model in all_models():
        for combo in variants(model):
            choices = {p.name: combo[p.name] for p in model.parameters if p.is_choice}
            cases.append((model.name, choices))
    return cases


CASES = _cases()


def _case_id(case: tuple[str, dict[str, str]]) -> str:
    name, choices = case
    return "-".join([name, *(f"{k}={v}" for k, v in choices.items())])


def _draw(arguments: dict) -> tuple[object, object]:
    """The figure drawn with every warning an error (a constrained-layout warning fails the test)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure = hysteresis_figure(**arguments)
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()
    return figure, renderer


def _overlap(a, b) -> float:
    """Area (px²) shared by two display-space bounding boxes."""
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(width, 0.0) * max(height, 0.0)


def _data_points(ax) -> np.ndarray:
    """Display coordinates of every plotted vertex of ``ax`` (lines and scatter markers)."""
    chunks = [line.get_transform().transform(line.get_xydata()) for line in ax.get_lines() if len(line.get_xydata())]
    chunks += [c.get_offset_transform().transform(c.get_offsets()) for c in ax.collections if len(c.get_offsets())]
    # Reference lines (axhline/axvline) span the axes in axes coordinates; they are not data.
    return np.concatenate(chunks) if chunks else np.empty((0, 2))


def check_readable(figure, renderer) -> None:
    """Every layout property the figure must have; AssertionError naming the first that fails."""
    fig_box = figure.bbox
    fig_area = fig_box.width * fig_box.height
    data_axes = [ax for ax in figure.axes if ax.axison]
    assert len(data_axes) >= 2, "the loop and the lobe-area panels are missing"

    for ax in data_axes:
        box = ax.get_window_extent(renderer)
        fraction = box.width * box.height / fig_area
        assert fraction >= MIN_AXES_FRACTION, f"panel {ax.get_title()!r} covers {fraction:.1%} of the figure"
        assert box.height >= 0.4 * fig_box.height, f"panel {ax.get_title()!r} is squashed to {box.height:.0f} px high"
        for label in (ax.get_xlabel(), ax.get_ylabel()):
            assert re.search(r"\(.+\)$", label), f"axis label {label!r} of {ax.get_title()!r} has no unit"

    from matplotlib.text import Text

    def inside_figure(box) -> bool:
        return (
            box.x0 >= fig_box.x0 - EDGE_PX and box.x1 <= fig_box.x1 + EDGE_PX
            and box.y0 >= fig_box.y0 - EDGE_PX and box.y1 <= fig_box.y1 + EDGE_PX
        )

    # Tick labels exist for ticks outside the view too but only those inside are drawn:
    # they are checked through each axis's extent, every other text one by one.
    tick_labels = set()
    for ax in data_axes:
        for axis in (ax.xaxis, ax.yaxis):
            assert inside_figure(axis.get_tightbbox(renderer) or ax.bbox), f"tick labels of {ax.get_title()!r} are clipped"
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                tick_labels.update((id(tick.label1), id(tick.label2)))
    for text in figure.findobj(Text):
        if id(text) in tick_labels or not text.get_visible() or not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        assert inside_figure(box), f"text {text.get_text()[:40]!r} at {box} runs outside the figure {fig_box}"

    # Panels with their labels and text do not run into each other.
    tight = [(ax, ax.get_tightbbox(renderer)) for ax in figure.axes]
    for k, (ax_a, box_a) in enumerate(tight):
        for ax_b, box_b in tight[k + 1:]:
            assert _overlap(box_a, box_b) < 1.0, f"panels {ax_a.get_title()!r} and {ax_b.get_title()!r} overlap"

    # The title and the figure's legend lie outside every panel; a panel's legend covers none of its data.
    for artist in [*figure.legends, *([figure._suptitle] if figure._suptitle is not None else [])]:
        box = artist.get_window_extent(renderer)
        for ax, ax_box in tight:
            assert _overlap(box, ax_box) < 1.0, f"{type(artist).__name__} overlaps the panel {ax.get_title()!r}"
    for ax in data_axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent(renderer)
        points = _data_points(ax)
        inside = (points[:, 0] > box.x0) & (points[:, 0] < box.x1) & (points[:, 1] > box.y0) & (points[:, 1] < box.y1)
        assert not inside.any(), f"the legend of {ax.get_title()!r} covers {int(inside.sum())} data points"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_every_catalog_model_figure_is_readable(case) -> None:
    name, choices = case
    result = run_hysteresis(HysteresisConfig(model=name, params=choices, cycles=2, points_per_cycle=200))
    arguments = hysteresis_plot_arguments(result)
    figure, renderer = _draw(arguments)
    check_readable(figure, renderer)

    model = result.config.catalog_model
    panel_text = "\n".join(t.get_text() for ax in figure.axes if not ax.axison for t in ax.texts)
    lines = panel_text.splitlines()
    assert max(len(line) for line in lines) <= 2 * _PANEL_WRAP_CHARS + 3, "the parameter panel is not wrapped"
    for p in model.parameters:
        unit = p.unit or (model.state_unit if p.name == model.state_initial else "")
        shown = format_quantity(result.config.params[p.name], unit)
        assert re.search(rf"\b{re.escape(p.name)}\s+= {re.escape(shown)}", panel_text), f"{p.name} = {shown} not listed"

    (ax_state,) = [ax for ax in figure.axes if ax.get_ylabel().startswith("State")]
    assert f"({model.state_unit or '1'})" in ax_state.get_ylabel()
    ax_loop = figure.axes[0]
    driven, response = ("Voltage", "Current") if result.config.drive_kind == "voltage" else ("Current", "Voltage")
    assert ax_loop.get_xlabel().startswith(driven) and ax_loop.get_ylabel().startswith(response)


def _synthetic_loops(peaks_A: list[float]) -> tuple[list, list]:
    """Pinched loops i = g(t)·v with the given current peaks, one per decade from 1 Hz."""
    loops, prints = [], []
    for k, peak in enumerate(peaks_A):
        f = 10.0**k
        t = np.linspace(0.0, 2.0 / f, 801)
        v = np.sin(2 * np.pi * f * t)
        i = peak * v * (1.0 + 0.5 * np.sin(2 * np.pi * f * t - 0.8) / (k + 1))
        prints.append(fingerprint(t, v, i, freq_hz=f))
        _, v_last, i_last = last_period(t, v, i, freq_hz=f)
        loops.append((f, v_last, i_last))
    return loops, prints


def test_a_long_parameter_list_and_note_wrap_into_columns_inside_the_figure() -> None:
    loops, prints = _synthetic_loops([1e-3, 5e-4, 2e-4])
    parameters = [(f"parameter_number_{k}", 1.5e-6 * (k + 1), "A") for k in range(60)]
    parameters.append(("variant", "a_rather_long_word_value_for_a_variant_parameter_of_the_model", ""))
    parameters.append(("a_parameter_name_longer_than_the_width_of_a_panel_line", 2.5e-3, "V"))
    arguments = {
        "loops": loops, "fingerprints": prints, "title": "synthetic", "parameters": parameters,
        "notes": ["a note " * 30], "state_label": "G(φ) = g0 + kφ",
    }
    figure, renderer = _draw(arguments)
    check_readable(figure, renderer)
    (panel,) = [t for ax in figure.axes if not ax.axison for t in ax.texts]
    assert "parameter_number_59" in panel.get_text() and "G(φ) = g0 + kφ" in panel.get_text()


def test_loops_of_very_different_size_are_each_drawn_over_their_peak(tmp_path) -> None:
    loops, prints = _synthetic_loops([2e-3, 7e-6, 6e-6])
    figure, renderer = _draw({"loops": loops, "fingerprints": prints, "title": "Stanford-PKU-like"})
    check_readable(figure, renderer)
    ax_loop = figure.axes[0]
    assert ax_loop.get_ylabel() == "Current / its peak at that frequency (1)"
    for line in ax_loop.get_lines()[:3]:
        assert np.max(np.abs(line.get_ydata())) == pytest.approx(1.0)
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    peaks = [format_quantity(float(np.max(np.abs(i))), "A", digits=3) for _, _, i in loops]
    assert labels == [f"{f} (I peak {p})" for f, p in zip(["1 Hz", "10 Hz", "100 Hz"], peaks)]
    assert peaks[0].endswith(" mA") and peaks[1].endswith(" µA")
    assert plot_hysteresis(loops, prints, tmp_path / "h.png", title="x").stat().st_size > 10_000


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(16000.0, "Ω", "16 kΩ"), (1e-8, "m", "10 nm"), (-8e-13, "m/s", "-8e-13 m/s"), (1.7, "nm", "1.7 nm"),
     (0.1, "", "0.1"), ("biolek", "", "biolek"), (0.0, "m", "0 m"), (6.14e-5, "A", "61.4 µA")],
)
def test_format_quantity(value, unit, text) -> None:
    assert format_quantity(value, unit) == text
