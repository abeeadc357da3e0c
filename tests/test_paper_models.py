"""The paper-equation references of tests/paper_models.py against closed forms (no simulator)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from paper_models import PAPER_MODELS, last_period_error, paper_reference
from scipy.optimize import brentq

from memspice.spicelib import all_models

K_HP = 1e-14 * 100.0 / (10e-9) ** 2  # µv·Ron/D² at the catalog's defaults, 1/C


def charge(t, amplitude, freq_hz):
    """∫ A·sin(ωt) dt from 0 (C for a current in A, V·s for a voltage in V)."""
    omega = 2 * math.pi * freq_hz
    return amplitude / omega * (1 - np.cos(omega * t))


def test_every_catalog_model_has_a_reference() -> None:
    assert {m.name for m in all_models()} == set(PAPER_MODELS)


def test_hp_without_window_under_a_small_current_is_linear_in_charge() -> None:
    ref = paper_reference("hp", {"window": "none"}, drive="current", amplitude=1e-5, freq_hz=1.0, cycles=2)
    x = 0.1 + K_HP * charge(ref["time_s"], 1e-5, 1.0)
    assert np.max(np.abs(ref["state"] - x)) < 1e-9
    np.testing.assert_allclose(ref["v_V"], (100 * x + 16e3 * (1 - x)) * ref["i_A"], rtol=0, atol=1e-12)


def test_hp_without_window_under_a_voltage_follows_the_flux_charge_relation() -> None:
    # dφ = R(x)·dq = R(x)·dx/k  =>  k·φ = Roff·(x − x0) − (Roff − Ron)·(x² − x0²)/2
    ref = paper_reference("hp", {"window": "none"}, drive="voltage", amplitude=1.0, freq_hz=1.0, cycles=1)
    k_phi = K_HP * charge(ref["time_s"], 1.0, 1.0)
    a, b = 15900.0 / 2, -16e3
    c = k_phi - a * 0.01 - b * 0.1  # a·x² + b·x + c = 0, x0 = 0.1; the smaller root
    x = (-b - np.sqrt(b * b - 4 * a * c)) / (2 * a)
    assert np.max(np.abs(ref["state"] - x)) < 1e-9


def test_hp_current_drive_holds_on_both_bounds_and_leaves_when_the_drive_reverses() -> None:
    amplitude, freq = 5e-4, 1.0  # k·2A/ω = 1.6: each half period sweeps x across its whole range
    ref = paper_reference("hp", {"window": "none"}, drive="current", amplitude=amplitude, freq_hz=freq, cycles=2)
    t, x = ref["time_s"], ref["state"]
    assert x.max() == 1.0 and x.min() == 0.0
    # q is monotonic on each half period, where the bounded solution is clip(x_start + k·Δq).
    expected = np.empty_like(t)
    start_x = 0.1
    for half in range(4):
        on = (t >= half / 2) & (t <= (half + 1) / 2)
        q_start = charge(half / 2, amplitude, freq)
        expected[on] = np.clip(start_x + K_HP * (charge(t[on], amplitude, freq) - q_start), 0.0, 1.0)
        start_x = expected[on][-1]
    assert np.max(np.abs(x - expected)) < 1e-9
    held_high = (t > 0.3) & (t <= 0.5)  # reached 1 at t ≈ 0.27 s, pushed outward until i changes sign
    assert np.all(x[held_high] == 1.0)
    assert np.all(x[(t > 0.5) & (t < 0.6)] < 1.0)  # leaves the bound as soon as i < 0
    assert np.all(x[(t > 0.85) & (t <= 1.0)] == 0.0)
    assert np.all(x[(t > 1.0) & (t < 1.1)] > 0.0)


def test_biolek_window_switches_with_the_sign_of_the_current() -> None:
    # p = 1: i > 0: f = 1 − x²  => x = tanh(atanh(x0) + k·q);
    #        i < 0: f = 1 − (1 − x)², y = 1 − x  => atanh(y) = atanh(y_half) − k·(q − q_half)
    amplitude, freq = 2e-4, 1.0
    ref = paper_reference("hp", {"window": "biolek"}, drive="current", amplitude=amplitude, freq_hz=freq, cycles=1)
    t, q = ref["time_s"], charge(ref["time_s"], amplitude, freq)
    first = t <= 0.5
    x_first = np.tanh(np.arctanh(0.1) + K_HP * q[first])
    y_half, q_half = 1 - x_first[-1], charge(0.5, amplitude, freq)
    x_second = 1 - np.tanh(np.arctanh(y_half) - K_HP * (q[~first] - q_half))
    assert np.max(np.abs(ref["state"] - np.concatenate([x_first, x_second]))) < 1e-9


def test_chua_under_a_current_drive() -> None:
    ref = paper_reference("chua", {"q0": 1e-3, "r0": 1e3}, drive="current", amplitude=1e-3, freq_hz=1.0, cycles=2)
    q = charge(ref["time_s"], 1e-3, 1.0)
    assert np.max(np.abs(ref["state"] - q)) < 1e-12
    np.testing.assert_allclose(ref["v_V"], 1e3 * (1 + 1.25 * (q / 1e-3) ** 4) * ref["i_A"], rtol=1e-9, atol=1e-12)


def test_chua_under_a_voltage_drive_keeps_phi_of_q_equal_to_the_flux() -> None:
    ref = paper_reference("chua", {}, drive="voltage", amplitude=1.0, freq_hz=0.1, cycles=3)
    some = slice(None, None, 997)
    flux = charge(ref["time_s"][some], 1.0, 0.1)
    q = np.array([brentq(lambda qq: qq + qq**5 / 4 - phi, -10, 10, xtol=1e-15) for phi in flux])
    assert np.max(np.abs(ref["state"][some] - q)) < 1e-9
    assert ref["state"].min() > -1e-9  # φ ≥ 0, so q ≥ 0: no drift


def test_ideal_flux_under_a_voltage_drive() -> None:
    ref = paper_reference("ideal_flux", {}, drive="voltage", amplitude=1.0, freq_hz=1.0, cycles=1)
    phi = charge(ref["time_s"], 1.0, 1.0)
    assert np.max(np.abs(ref["state"] - phi)) < 1e-12
    np.testing.assert_allclose(ref["i_A"], 1e-3 * (1 + (phi / 0.1) ** 2) * ref["v_V"], rtol=1e-9, atol=1e-15)


def test_vteam_moves_only_past_its_sharp_threshold() -> None:
    # α_off = 1: dx/dt = k_off/D·(v/v_off − 1) above v_off, integrable in closed form.
    freq, omega = 1e7, 2 * math.pi * 1e7
    ref = paper_reference("vteam", {}, drive="voltage", amplitude=1.0, freq_hz=freq, cycles=1)
    t, x = ref["time_s"], ref["state"]
    t_a, t_b = math.asin(0.02) / omega, (math.pi - math.asin(0.02)) / omega
    t_on = (math.pi + math.asin(0.2)) / omega  # v falls below v_on = −0.2 V
    assert np.all(x[t <= t_a] == 0.5)

    def moved(tt):
        return 5e-4 / 3e-9 * ((math.cos(omega * t_a) - np.cos(omega * tt)) / (omega * 0.02) - (tt - t_a))

    above = (t > t_a) & (t < t_b)
    assert np.max(np.abs(x[above] - (0.5 + moved(t[above])))) < 1e-9
    dead = (t >= t_b) & (t < t_on - 1e-3 / freq)
    assert np.all(np.abs(x[dead] - (0.5 + moved(t_b))) < 1e-9) and np.ptp(x[dead]) == 0.0


def test_team_kvatinsky_window_stops_the_state_a_few_wc_past_the_bounds_and_r_is_unclipped() -> None:
    ref = paper_reference("team", {"window": "kvatinsky"}, drive="current", amplitude=5e-3, freq_hz=10.0, cycles=1)
    x, k = ref["state"], int(np.argmin(ref["state"]))
    assert -10 * 1.07e-12 / 3e-9 < x[k] < 0  # past a_on = 0, within 10 w_c
    assert ref["v_V"][k] / ref["i_A"][k] == pytest.approx(50 + 950 * x[k], rel=1e-12)  # below ron


def test_stanford_pku_gap_is_held_exactly_on_both_bounds() -> None:
    ref = paper_reference("stanford_pku", {}, drive="voltage", amplitude=2.0, freq_hz=1e3, cycles=2)
    gap = ref["state"]
    assert gap.min() == 0.1 and gap.max() == 1.7
    assert np.count_nonzero(gap == 0.1) > 1000 and np.count_nonzero(gap == 1.7) > 1000
    np.testing.assert_allclose(ref["i_A"], 61.4e-6 * np.exp(-gap / 0.275) * np.sinh(ref["v_V"] / 0.43), rtol=1e-12)


def test_yakopcic_below_its_thresholds_does_not_move() -> None:
    ref = paper_reference("yakopcic", {}, drive="voltage", amplitude=0.55, freq_hz=100.0, cycles=1)
    assert np.all(ref["state"] == 0.11)
    np.testing.assert_allclose(ref["i_A"], 0.17 * 0.11 * np.sinh(0.05 * ref["v_V"]), rtol=1e-12, atol=0)


def test_mms_relaxes_exponentially_at_zero_voltage() -> None:
    # v ≈ 0: dx/dt = [P_on(0)·(1 − x) − P_off(0)·x]/τ with constant P's, x0 = 0.
    ref = paper_reference("mms", {}, drive="voltage", amplitude=1e-12, freq_hz=1.0, cycles=1)
    vt = 8.617333262e-05 * 300
    p_on, p_off = 1 / (1 + math.exp(0.27 / vt)), 1 / (1 + math.exp(0.27 / vt))
    x = p_on / (p_on + p_off) * (1 - np.exp(-(p_on + p_off) * ref["time_s"] / 1e-4))
    assert np.max(np.abs(ref["state"] - x)) < 1e-9


def test_last_period_error_is_relative_to_the_peak_of_the_last_period() -> None:
    ref = paper_reference("hp", {}, drive="voltage", amplitude=1.0, freq_hz=10.0, cycles=2)
    t, i = ref["time_s"], ref["i_A"]
    assert last_period_error(t, i, ref) < 1e-12
    assert last_period_error(t, 1.01 * i, ref) == pytest.approx(0.01, rel=1e-6)


def test_time_tolerance_forgives_a_late_switch_but_not_a_wrong_level() -> None:
    """The Stanford-PKU SET, shifted by a fraction of the tolerance: pointwise ~100 %, banded 0;
    shifted by twice the tolerance, or with its level 2 % off, the banded error shows it."""
    freq_hz = 1e3
    ref = paper_reference("stanford_pku", {}, drive="voltage", amplitude=2.0, freq_hz=freq_hz, cycles=3)
    tau = 1e-3 / freq_hz
    t = np.linspace(2 / freq_hz, 3 / freq_hz, 4001)
    late = ref["evaluate"](t - 0.5 * tau)["i_A"]
    assert last_period_error(t, late, ref) > 0.9
    assert last_period_error(t, late, ref, time_tolerance_s=tau) < 1e-9
    assert last_period_error(t, ref["evaluate"](t - 2 * tau)["i_A"], ref, time_tolerance_s=tau) > 0.5
    off_level = 1.02 * ref["evaluate"](t)["i_A"]
    assert last_period_error(t, off_level, ref, time_tolerance_s=tau) == pytest.approx(0.02, rel=0.05)
