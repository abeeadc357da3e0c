"""Coincidence (outer-product) writes after Burr (issue 5, point 6), on real ngspice."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from memspice.engine.options import RunOptions
from memspice.errors import ParameterError
from memspice.studies import coincidence as co
from memspice.studies.coincidence import (
    CoincidenceConfig,
    fit_scale,
    measure_pulses,
    run_coincidence,
    write_coincidence_report,
)

V_W = 2.0


@pytest.fixture(scope="module")
def square() -> co.CoincidenceResult:
    """x = δ = (0, 1, 2, 3, 4) on a 5 × 5 array: 16 slots, products 0..16."""
    return run_coincidence(CoincidenceConfig(x=(0, 1, 2, 3, 4), delta=(0, 1, 2, 3, 4), v_write_V=V_W))


# --------------------------------------------------------------------------- pure functions


def test_slots_encode_the_product_table():
    config = CoincidenceConfig(x=(1, 2), delta=(-2, 0, 3))
    assert config.slot_counts == (2 * 3, 2 * 2)
    phases = config.slot_phases()
    on = np.array([p.cell_voltages_V for p in phases])  # (slots, rows, cols)
    np.testing.assert_array_equal((on > 0.75 * V_W).sum(axis=0) - (on < -0.75 * V_W).sum(axis=0), config.expected)
    # No cell ever sees more than V_W/2 unless both of its lines pulse.
    assert set(np.unique(np.abs(on))) <= {0.0, V_W / 2, V_W}


def test_measure_pulses_on_synthetic_traces():
    v = np.zeros((40, 1, 3))
    v[5:9, 0, 0] = V_W / 2          # half-selected pulse
    v[12:16, 0, 0] = V_W            # coincident +
    v[20:24, 0, 0] = -V_W           # coincident −
    v[5:9, 0, 1] = [0.5, 1.0, 1.0, 0.5]
    v[30:34, 0, 2] = V_W * 0.9
    measured = measure_pulses(v, V_W)
    np.testing.assert_array_equal(measured.positive, [[1, 0, 1]])
    np.testing.assert_array_equal(measured.negative, [[1, 0, 0]])
    np.testing.assert_array_equal(measured.signed, [[0, 0, 1]])
    np.testing.assert_allclose(measured.max_non_coincident_V, [[V_W / 2, 1.0, 0.0]])
    assert np.isnan(measured.min_coincident_peak_V[0, 1])


def test_fit_scale_is_exact_for_a_multiple():
    expected = np.outer([1, 2], [-1, 3])
    scale, residual = fit_scale(0.25 * expected, expected)
    assert scale == pytest.approx(0.25)
    assert residual == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"x": (1, -1), "delta": (1,)}, ["x[1]=-1", "[0, 4096]"]),
    ({"x": (1, 1.5), "delta": (1,)}, ["x[1]=1.5", "whole number"]),
    ({"x": (), "delta": (1,)}, ["x=()", "non-empty"]),
    ({"x": (1,), "delta": []}, ["delta=()", "non-empty"]),
    ({"x": (1,), "delta": (True,)}, ["delta[0]=True"]),
    ({"x": "12", "delta": (1,)}, ["x='12'"]),
    ({"x": (0, 0), "delta": (1, 2)}, ["no non-zero product"]),
    ({"x": (1,), "delta": (1,), "v_write_V": 3.0}, ["v_write_V=3", "half-selected", "< 2.8"]),
    ({"x": (1,), "delta": (1,), "v_write_V": 1.4}, ["v_write_V=1.4", "threshold"]),
    ({"x": (1,), "delta": (1,), "v_write_V": -2.0}, ["v_write_V=-2 is not allowed", "(0, 20] V"]),
    ({"x": (1,), "delta": (1,), "slot_width_s": 0}, ["slot_width_s=0 is not allowed", "(0, 1e-06] s"]),
    ({"x": (1,), "delta": (1,), "v_read_V": 1.5}, ["v_read_V=1.5", "switch"]),
    ({"x": (1,), "delta": (1,), "state0": 1.5}, ["1.5"]),
    ({"x": (1,), "delta": (1,), "options": {"engine": "spectre"}}, ["spectre"]),
    ({"x": (100,), "delta": (100,)}, ["10000 write slots", str(co.MAX_SLOTS)]),
    ({"x": (1,) * 65, "delta": (1,)}, ["at most 64 row inputs"]),
    ({"x": (1,) * 64, "delta": (1, 2) * 32}, ["time points × cells"]),
])
def test_invalid_configs_raise_before_any_simulation(monkeypatch, kwargs, words):
    def no_simulation(*args, **kwargs):
        raise AssertionError("a simulation started")

    monkeypatch.setattr(co, "run_schedule", no_simulation)
    kwargs = dict(kwargs)
    options = kwargs.pop("options", {})
    with pytest.raises(ParameterError) as caught:
        run_coincidence(CoincidenceConfig(**kwargs), options=RunOptions(**options))
    for word in words:
        assert word in str(caught.value)


def test_saturating_products_warn_how_to_fix():
    with pytest.warns(UserWarning, match="shorten slot_width_s"):
        CoincidenceConfig(x=(8,), delta=(8,))


# --------------------------------------------------------------------------- simulated


def test_square_counts_are_the_outer_product(square):
    expected = np.outer([0, 1, 2, 3, 4], [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(square.measured, expected)
    np.testing.assert_array_equal(square.pulses.negative, 0)
    # Ideal wires: half-selected cells see exactly V_W/2, coincident ones V_W. Slots where
    # exactly one of a cell's lines pulses: x_i·δ_max + x_max·δ_j − 2·x_i·δ_j.
    x = np.arange(5)
    half_selected = (np.add.outer(4 * x, 4 * x) - 2 * expected) > 0
    quiet = square.pulses.max_non_coincident_V
    np.testing.assert_allclose(quiet[half_selected], V_W / 2, rtol=1e-2)
    # Cell (4, 4) is never half-selected: outside its 16 coincidences it sees only the 0.2 V reads.
    np.testing.assert_allclose(quiet[~half_selected], 0.2, rtol=1e-2)
    np.testing.assert_allclose(np.nanmin(square.pulses.min_coincident_peak_V), V_W, rtol=1e-2)


def test_square_state_change_follows_the_product(square):
    expected = square.expected
    fits = square.fits()
    # Every coincident pulse has the same waveform and VTEAM's rate does not depend on x, so
    # Δx is the count times one step up to solver noise (measured ≈ 1e-14).
    assert fits["d_state"]["relative_residual"] < 1e-6
    assert np.abs(square.d_state[expected == 0]).max() < 1e-9
    # The step agrees with the integral of dx/dt over the ideal trapezoid; the rest (measured
    # −1.7 %) is the solver's time step (25 ps) at the pulse corners: it grows with the step.
    predicted = square.config.predicted_dx_per_pulse()
    assert fits["d_state"]["scale_per_pulse"] == pytest.approx(predicted[0], rel=0.05)
    # x stays inside its range, so no cell is clipped: the largest product moved it ≈ 0.38.
    assert 0.3 < square.d_state.max() < 0.5
    # G = 1/R(x) is not linear in x: ΔG falls monotonically with the product but is not a multiple of it.
    assert fits["d_G_S"]["relative_residual"] > 1e-3
    order = np.argsort(expected.ravel(), kind="stable")
    assert np.all(np.diff(square.d_G_S.ravel()[order]) <= 1e-12)
    assert np.abs(square.d_G_S[expected == 0]).max() < 1e-12


def test_signed_delta_uses_two_sets_of_slots():
    result = run_coincidence(CoincidenceConfig(x=(1, 2), delta=(-2, 0, 3)))
    expected = np.outer([1, 2], [-2, 0, 3])
    np.testing.assert_array_equal(result.measured, expected)
    np.testing.assert_array_equal(result.pulses.positive, np.clip(expected, 0, None))
    np.testing.assert_array_equal(result.pulses.negative, np.clip(-expected, 0, None))
    np.testing.assert_array_equal(np.sign(result.d_state), np.sign(expected))
    assert result.fits()["d_state"]["relative_residual"] < 1e-6
    summary = result.summary()
    assert summary["slots_positive"] == 6 and summary["slots_negative"] == 4
    assert summary["sign_agreement"] and summary["counts_match"]


def test_report_files(square, tmp_path):
    written = write_coincidence_report(square, tmp_path)
    for name in ("pulse_counts.csv", "cells.csv", "summary.json", "coincidence.png"):
        assert (tmp_path / name).stat().st_size > 0 and name in written
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["counts_match"] is True
    assert summary["fits"]["d_state"]["relative_residual"] < 1e-6
    assert summary["energy_J"] > 0 and summary["wall_time_s"]["total"] > 0
    cells = pd.read_csv(tmp_path / "cells.csv")
    assert {"row", "col", "x", "delta", "expected_pulses", "measured_pulses", "d_state", "d_G_S"} <= set(cells)
    np.testing.assert_array_equal(cells["measured_pulses"], cells["expected_pulses"])
    counts = pd.read_csv(tmp_path / "pulse_counts.csv")
    np.testing.assert_array_equal(counts.drop(columns="row").to_numpy(), square.expected)
