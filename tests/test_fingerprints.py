"""Closed-form checks of the hysteresis fingerprints (no simulator).

The reference loops are analytic parametric curves ``(v(θ), i(θ))``, ``θ = ωt``; their
lobe areas are integrated by hand (or by ``scipy.integrate.quad`` on the analytic curve),
never by the code under test. With the loop drawn as x = v, y = i and each half-cycle
closed along ``v = 0`` (where ``x = 0``, so the chord adds nothing to ``∮ x dy``), the area of a half-cycle between
consecutive zeros ``θa, θb`` of ``v`` is ``|∫ v(θ) i'(θ) dθ|`` over ``[θa, θb]``.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.integrate import quad

from memspice.analysis import (
    Fingerprint,
    fingerprint,
    format_frequency,
    judge,
    last_period,
    lobe_area,
    lobe_area_norm,
    lobe_areas,
    pinch_ratio,
    plot_hysteresis,
    si_prefix,
    zero_crossings,
)
from memspice.errors import ParameterError

REPO_ROOT = Path(__file__).resolve().parents[1]
POINTS_PER_PERIOD = 2000


def phases(n: int = POINTS_PER_PERIOD, offset: float = 0.0) -> np.ndarray:
    """``n`` phases over one period starting at ``offset`` rad, endpoint excluded."""
    return offset + np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)


def ideal_memristor_loop(theta: np.ndarray, *, v_amp: float, g0: float, g1: float):
    """Flux-controlled ideal memristor ``G(φ) = g0 + k·φ`` driven by ``v = V sin θ``.

    The flux is ``φ = (V/ω)(1 − cos θ)``, so ``i = v·(g0 + g1·(1 − cos θ))`` with
    ``g1 = k·V/ω``. Each lobe: ``|∫_0^π v i' dθ| = |∫_0^π i v' dθ|``
    ``= V²·|∫_0^π sin θ cos θ (g0 + g1 − g1 cos θ) dθ| = V²·g1·∫_0^π sin θ cos² θ dθ = ⅔·g1·V²``.
    """
    v = v_amp * np.sin(theta)
    return v, v * (g0 + g1 * (1.0 - np.cos(theta)))


# --------------------------------------------------------------------------- last_period


def test_last_period_keeps_the_boundary_sample_within_tolerance():
    freq_hz = 50.0
    t = np.linspace(0.0, 3.0 / freq_hz, 301)  # 100 samples per period, one on each boundary
    t[200] -= 1e-12  # a breakpoint time point off by rounding must still be kept
    v = np.sin(2 * np.pi * freq_hz * t)
    t_win, v_win = last_period(t, v, freq_hz=freq_hz)
    assert t_win.shape == (101,)
    assert_allclose(t_win[[0, -1]], [2.0 / freq_hz - 1e-12, 3.0 / freq_hz], rtol=0, atol=1e-15)
    assert_allclose(v_win, v[200:], rtol=0, atol=0)


def test_last_period_returns_every_array():
    t = np.linspace(0.0, 2.0, 21)
    t_win, a_win, b_win = last_period(t, 2 * t, 3 * t, freq_hz=1.0)
    assert_allclose(a_win, 2 * t_win)
    assert_allclose(b_win, 3 * t_win)


@pytest.mark.parametrize(
    ("time_s", "other", "freq_hz", "match"),
    [
        (np.linspace(0, 0.5, 50), np.zeros(50), 1.0, "less than one period"),
        (np.linspace(0, 2, 50), np.zeros(49), 1.0, "49 samples"),
        (np.r_[0.0, 2.0, 1.0, 3.0], np.zeros(4), 1.0, "non-decreasing"),
        (np.linspace(0, 2, 50), np.zeros(50), 0.0, "freq_hz"),
        (np.linspace(0, 2, 50), np.r_[np.zeros(49), np.nan], 1.0, "not finite"),
    ],
)
def test_last_period_rejects_bad_input_with_a_clear_message(time_s, other, freq_hz, match):
    with pytest.raises(ValueError, match=match):
        last_period(time_s, other, freq_hz=freq_hz)


# --------------------------------------------------------------------------- zero crossings


def test_zero_crossings_interpolate_linearly():
    t = np.array([0.0, 1.0, 2.0, 4.0])
    crossings = zero_crossings(t, [1.0, -3.0, -1.0, 1.0])
    assert_allclose(crossings.time_s, [0.25, 3.0])
    assert crossings.index.tolist() == [0, 2]
    assert crossings.direction.tolist() == [-1, 1]


def test_zero_crossings_handle_exact_and_consecutive_zeros():
    t = np.arange(9.0)
    v = [1.0, 0.0, -1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    crossings = zero_crossings(t, v)
    # one crossing at the exact zero, one in the middle of the run of two zeros; touching
    # zero at t=6 and ending on zero at t=8 are not sign changes
    assert_allclose(crossings.time_s, [1.0, 3.5])
    assert crossings.index.tolist() == [1, 3]
    assert crossings.direction.tolist() == [-1, 1]


def test_zero_crossings_of_a_signal_without_sign_change_is_empty():
    assert zero_crossings([0.0, 1.0, 2.0], [0.0, 0.0, 0.0]).time_s.size == 0
    assert zero_crossings([0.0, 1.0, 2.0], [1.0, 0.0, 2.0]).time_s.size == 0


# --------------------------------------------------------------------------- (a) ellipse


@pytest.mark.parametrize("phi", [0.05, 0.3, 1.0, np.pi / 2, 2.5])
def test_ellipse_lobe_area_is_pi_a_b_sin_phi(phi):
    a, b = 1.7, 3e-4
    theta = phases()
    v, i = a * np.sin(theta), b * np.sin(theta + phi)
    # v = a sin θ, i = b sin(θ + φ): ∮ v di = a·b·∫ sin θ cos(θ + φ) dθ = −π·a·b·sin φ
    assert_allclose(lobe_area(v, i), np.pi * a * b * abs(np.sin(phi)), rtol=1e-5)
    assert len(lobe_areas(v, i)) == 2
    assert_allclose(lobe_area_norm(v, i), np.pi * abs(np.sin(phi)), rtol=1e-5)


# --------------------------------------------------------------------------- (b) pinched loops


@pytest.mark.parametrize("g1", [1e-5, 5e-4, 3e-3])
def test_ideal_memristor_lobes_match_the_hand_integral(g1):
    v_amp, g0 = 1.2, 1e-3
    v, i = ideal_memristor_loop(phases(), v_amp=v_amp, g0=g0, g1=g1)
    expected_lobe = 2.0 / 3.0 * g1 * v_amp**2
    assert_allclose(lobe_areas(v, i), [expected_lobe, expected_lobe], rtol=1e-3)
    assert_allclose(lobe_area(v, i), 2 * expected_lobe, rtol=1e-3)


def test_seed_charge_controlled_memristor_matches_quadrature():
    """The seed's worked example: φ(q) = q + q⁵/4, so v = (1 + 5q⁴/4)·i, driven by i = I sin θ."""
    i_amp, q_amp = 2e-3, 0.5  # q_amp = I/ω in C; the charge swings over [0, 2·q_amp] = [0, 1]

    def charge(theta):
        return q_amp * (1.0 - np.cos(theta))

    def voltage(theta):
        return (1.0 + 1.25 * charge(theta) ** 4) * i_amp * np.sin(theta)

    def v_di(theta):  # v(θ)·i'(θ)
        return voltage(theta) * i_amp * np.cos(theta)

    reference = [abs(quad(v_di, 0.0, np.pi, epsabs=0, epsrel=1e-12)[0]),
                 abs(quad(v_di, np.pi, 2 * np.pi, epsabs=0, epsrel=1e-12)[0])]
    assert reference[0] > 0.05 * i_amp * 2.25 * i_amp  # a real lobe, not a rounding residue
    theta = phases()
    areas = lobe_areas(voltage(theta), i_amp * np.sin(theta))
    assert_allclose(areas, reference, rtol=1e-3)
    assert pinch_ratio(voltage(theta), i_amp * np.sin(theta)) < 1e-6


# --------------------------------------------------------------------------- (c) pinch ratio


def test_pinch_ratio_of_a_pinched_loop_is_zero():
    v, i = ideal_memristor_loop(phases(offset=0.123), v_amp=1.0, g0=1e-3, g1=8e-4)
    assert pinch_ratio(v, i) < 1e-6


@pytest.mark.parametrize("phi", [0.01, 0.4, 1.2, -0.7])
def test_pinch_ratio_of_an_ellipse_is_abs_sin_phi(phi):
    theta = phases(offset=0.321)
    assert_allclose(pinch_ratio(2.0 * np.sin(theta), 5e-6 * np.sin(theta + phi)), abs(np.sin(phi)), rtol=1e-5)


def test_pinch_ratio_refuses_a_voltage_without_zero_crossing():
    theta = phases()
    with pytest.raises(ValueError, match="never changes sign"):
        pinch_ratio(1.5 + np.sin(theta), np.sin(theta))
    with pytest.raises(ValueError, match="never changes sign"):
        lobe_areas(1.5 + np.sin(theta), np.sin(theta))


# --------------------------------------------------------------------------- (d) rotation


@settings(deadline=None, max_examples=60)
@given(shift=st.integers(min_value=0, max_value=POINTS_PER_PERIOD - 1))
def test_lobe_areas_do_not_depend_on_where_the_window_starts(shift):
    v, i = ideal_memristor_loop(phases(), v_amp=1.0, g0=1e-3, g1=5e-4)
    start_at_crossing = sorted(lobe_areas(v, i))
    start_mid_lobe = sorted(lobe_areas(np.roll(v, shift), np.roll(i, shift)))
    assert_allclose(start_mid_lobe, start_at_crossing, rtol=1e-12)


def test_lobe_areas_sampled_from_mid_lobe_match_the_closed_form():
    g1 = 5e-4
    # a fresh sampling that starts a third of the way into the first lobe
    v, i = ideal_memristor_loop(phases(offset=np.pi / 3), v_amp=1.0, g0=1e-3, g1=g1)
    assert_allclose(lobe_areas(v, i), [2 / 3 * g1] * 2, rtol=1e-3)


def test_lobe_areas_with_zeros_wrapping_the_window_edge():
    v, i = ideal_memristor_loop(phases(), v_amp=1.0, g0=1e-3, g1=5e-4)
    v_flat = np.r_[0.0, 0.0, v[1:], 0.0]  # v rests at 0 across the edge of the window
    i_flat = np.r_[0.0, 0.0, i[1:], 0.0]
    assert_allclose(lobe_areas(v_flat, i_flat), [2 / 3 * 5e-4] * 2, rtol=1e-3)


def test_lobe_areas_when_rounding_puts_a_crossing_on_a_sample():
    # v[0] = 1e-300 > 0: the chord root between the last sample and the first rounds to
    # exactly the first sample; the crossing must still be counted once, not lost.
    v, i = ideal_memristor_loop(phases(400), v_amp=1.0, g0=1e-3, g1=5e-4)
    v[0], i[0] = 1e-300, 1e-303
    assert_allclose(lobe_areas(v, i), [2 / 3 * 5e-4] * 2, rtol=1e-3)


# --------------------------------------------------------------------------- fingerprint()


def synthetic_run(freq_hz: float, *, k_siemens_per_weber: float, periods: int = 3):
    """A transient 'result' of the ideal memristor over several periods, unaligned samples."""
    v_amp, g0 = 1.0, 1e-3
    omega = 2 * np.pi * freq_hz
    t = np.linspace(0.0, periods / freq_hz, periods * POINTS_PER_PERIOD + 7)
    v, i = ideal_memristor_loop(omega * t, v_amp=v_amp, g0=g0, g1=k_siemens_per_weber * v_amp / omega)
    return t, v, i


def test_fingerprint_of_a_synthetic_run():
    freq_hz, k = 10.0, 1e-3 * 2 * np.pi * 10.0
    t, v, i = synthetic_run(freq_hz, k_siemens_per_weber=k)
    fp = fingerprint(t, v, i, freq_hz=freq_hz)
    g1 = k / (2 * np.pi * freq_hz)
    assert fp.freq_hz == freq_hz
    assert_allclose(fp.lobe_area, 4 / 3 * g1, rtol=1e-3)
    assert_allclose(fp.v_max_V, 1.0, rtol=1e-5)
    assert_allclose(fp.lobe_area_norm, fp.lobe_area / (fp.v_max_V * fp.i_max_A), rtol=1e-12)
    assert fp.pinch_ratio < 1e-6
    row = fp.as_row()
    assert list(row) == ["freq_hz", "lobe_area", "lobe_area_norm", "pinch_ratio", "v_max_V", "i_max_A"]
    assert all(type(value) is float for value in row.values())


# --------------------------------------------------------------------------- (e) judge()


def make_fp(freq_hz: float, area_norm: float, pinch: float = 0.0) -> Fingerprint:
    return Fingerprint(freq_hz=freq_hz, lobe_area=area_norm, lobe_area_norm=area_norm,
                       pinch_ratio=pinch, v_max_V=1.0, i_max_A=1.0)


def test_judge_a_synthetic_ideal_memristor_sweep():
    k = 1e-3 * 2 * np.pi * 1.0  # g1 = g0 at 1 Hz, g0/10⁴ at 10 kHz
    sweep = [fingerprint(*synthetic_run(f, k_siemens_per_weber=k), freq_hz=f) for f in (1e4, 1.0, 1e2, 1e3, 10.0)]
    verdicts = judge(sweep)
    assert verdicts.pinched and verdicts.area_decreasing and verdicts.high_frequency_collapse
    assert verdicts.is_memristor
    assert verdicts.freqs_hz == (1.0, 10.0, 100.0, 1e3, 1e4)
    assert_allclose(verdicts.high_frequency_slope, -1.0, atol=0.01)
    assert verdicts.area_ratio < 1e-3
    json.dumps(verdicts.to_dict())  # JSON-ready


def test_judge_flags_each_failed_fingerprint():
    resistor_like = judge([make_fp(1.0, 0.2, pinch=0.3), make_fp(10.0, 0.2, pinch=0.3)])
    assert not resistor_like.pinched
    assert_allclose(resistor_like.max_pinch_ratio, 0.3)
    assert not resistor_like.area_decreasing  # equal areas are not strictly decreasing
    assert not resistor_like.high_frequency_collapse
    assert_allclose(resistor_like.high_frequency_slope, 0.0, atol=1e-15)
    assert not resistor_like.is_memristor

    bump = judge([make_fp(1.0, 0.5), make_fp(10.0, 0.6), make_fp(100.0, 0.01)])
    assert bump.pinched and not bump.area_decreasing and bump.high_frequency_collapse

    slow_decay = judge([make_fp(1.0, 0.5), make_fp(10.0, 0.4), make_fp(100.0, 0.3)])
    assert slow_decay.area_decreasing and not slow_decay.high_frequency_collapse
    assert_allclose(slow_decay.area_ratio, 0.6)
    assert_allclose(slow_decay.high_frequency_slope, math.log(0.3 / 0.4) / math.log(10.0))


def test_judge_thresholds_are_strict():
    at_tol = judge([make_fp(1.0, 1.0, pinch=1e-3), make_fp(10.0, 0.1)], pinch_tol=1e-3, collapse_ratio=0.1)
    assert not at_tol.pinched
    assert not at_tol.high_frequency_collapse


def test_judge_reports_no_slope_when_an_area_is_zero():
    verdicts = judge([make_fp(1.0, 0.3), make_fp(10.0, 0.0)])
    assert verdicts.high_frequency_collapse and verdicts.high_frequency_slope is None
    assert json.loads(json.dumps(verdicts.to_dict()))["high_frequency_slope"] is None


def test_judge_needs_two_distinct_frequencies():
    with pytest.raises(ValueError, match="got 1"):
        judge([make_fp(1.0, 0.3)])
    with pytest.raises(ValueError, match="got 0"):
        judge([])
    with pytest.raises(ValueError, match="more than once"):
        judge([make_fp(1.0, 0.3), make_fp(1.0, 0.2)])


def test_fingerprint_refuses_negative_or_non_finite_fields():
    with pytest.raises(ParameterError, match="lobe_area=nan"):
        make_fp(1.0, float("nan"))
    with pytest.raises(ParameterError, match="pinch_ratio=-0.1"):
        make_fp(1.0, 0.1, pinch=-0.1)
    with pytest.raises(ParameterError, match="freq_hz"):
        make_fp(0.0, 0.1)


# --------------------------------------------------------------------------- (f) scaling


@settings(deadline=None, max_examples=80)
@given(
    a=st.floats(min_value=1e-4, max_value=1e4),
    b=st.floats(min_value=1e-9, max_value=1e3),
    g1_over_g0=st.floats(min_value=0.01, max_value=2.0),
    offset=st.floats(min_value=0.0, max_value=2 * np.pi),
)
def test_lobe_area_scales_as_a_times_b_and_its_norm_is_invariant(a, b, g1_over_g0, offset):
    v, i = ideal_memristor_loop(phases(400, offset), v_amp=1.0, g0=1e-3, g1=1e-3 * g1_over_g0)
    assert_allclose(lobe_area(a * v, b * i), a * b * lobe_area(v, i), rtol=1e-9)
    assert_allclose(lobe_area_norm(a * v, b * i), lobe_area_norm(v, i), rtol=1e-9)


# --------------------------------------------------------------------------- (g) plots


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2.5e-5, (1e-6, "µ")), (1e-3, (1e-3, "m")), (999.0, (1.0, "")), (1e3, (1e3, "k")),
     (-4.2e6, (1e6, "M")), (0.0, (1.0, "")), (1e-20, (1e-15, "f"))],
)
def test_si_prefix(value, expected):
    assert si_prefix(value) == expected


@pytest.mark.parametrize(
    ("f_hz", "text"),
    [(1.0, "1 Hz"), (10.0, "10 Hz"), (1e3, "1 kHz"), (2.5e3, "2.5 kHz"), (1e6, "1 MHz"), (0.1, "100 mHz")],
)
def test_format_frequency(f_hz, text):
    assert format_frequency(f_hz) == text


def test_plot_hysteresis_writes_a_png_atomically(tmp_path):
    k = 1e-3 * 2 * np.pi
    loops, fps = [], []
    for f in (1.0, 10.0, 1e3):
        t, v, i = synthetic_run(f, k_siemens_per_weber=k, periods=2)
        fps.append(fingerprint(t, v, i, freq_hz=f))
        _, v_win, i_win = last_period(t, v, i, freq_hz=f)
        loops.append((f, v_win, i_win))
    out = tmp_path / "hysteresis.png"
    written = plot_hysteresis(loops, fps, out, title="Ideal memristor", state_label="G(φ) = g0 + kφ")
    assert written == out
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_importing_the_analysis_layer_does_not_import_matplotlib():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    subprocess.run(
        [sys.executable, "-c", "import memspice.analysis, sys; assert 'matplotlib' not in sys.modules"],
        check=True, env=env, cwd=REPO_ROOT, timeout=60,
    )
