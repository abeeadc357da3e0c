"""VMM chain: weight mapping, input encoders, shift-and-add, and the whole chain in ngspice."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from memspice.circuits.encoders import amplitude_inputs, bit_serial_inputs, pulse_width_inputs
from memspice.circuits.mapping import bit_planes, map_weights, quantise, shift_and_add
from memspice.engine.options import RunOptions
from memspice.errors import ParameterError
from memspice.netlist import Pwl
from memspice.studies.vmm import VmmConfig, run_vmm, write_vmm_report

RNG = np.random.default_rng(2020)
#: An 8×4 signed integer weight matrix in the 15 levels −7…7 (Yao 2020), every level used.
W_INT = np.concatenate([np.arange(-7, 8), np.arange(-7, 8), [0, 7]]).reshape(8, 4).astype(float)
RNG.shuffle(W_INT.ravel())
X_INT = np.array([[0, 1, 37, 128, 200, 255, 91, 64], [255, 255, 255, 255, 255, 255, 255, 255]], dtype=float)


# --------------------------------------------------------------------------- mapping (pure)


def test_integer_weights_in_the_level_range_map_exactly():
    pairs = map_weights(W_INT, g_min_S=1e-6, g_max_S=100e-6, levels=15)
    assert pairs.weight_range == 7.0
    np.testing.assert_array_equal(pairs.weights_quantised, W_INT)
    np.testing.assert_allclose(pairs.weights(), W_INT, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(np.round(pairs.weights()), W_INT)
    assert pairs.g_plus_S.min() >= 1e-6 and pairs.g_minus_S.min() >= 1e-6
    assert max(pairs.g_plus_S.max(), pairs.g_minus_S.max()) == pytest.approx(100e-6, rel=1e-12)
    # one device of each pair sits at G_min
    np.testing.assert_array_equal(np.minimum(pairs.g_plus_S, pairs.g_minus_S), 1e-6)


def test_mapping_without_levels_uses_max_abs_and_round_trips():
    w = RNG.normal(size=(5, 3))
    pairs = map_weights(w, g_min_S=2e-6, g_max_S=50e-6)
    assert pairs.weight_range == pytest.approx(np.max(np.abs(w)))
    np.testing.assert_allclose(pairs.weights(), w, rtol=0, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(arrays(float, (4, 3), elements=st.floats(-10, 10)), st.integers(2, 33))
def test_quantise_lands_on_symmetric_levels(w, levels):
    q = quantise(w, levels=levels, weight_range=10.0)
    grid = (np.arange(levels) - (levels - 1) / 2) * (20.0 / (levels - 1))
    assert np.all(np.min(np.abs(q[..., None] - grid), axis=-1) < 1e-9)
    assert np.all(np.abs(q - w) <= 10.0 / (levels - 1) + 1e-9)


@pytest.mark.parametrize("bad", [{"levels": 1}, {"levels": 2.5}, {"g_min_S": 0.0}, {"g_max_S": 1e-7},
                                 {"weight_range": -1.0}])
def test_mapping_rejects_bad_parameters(bad):
    kwargs = {"g_min_S": 1e-6, "g_max_S": 1e-4} | bad
    with pytest.raises(ParameterError):
        map_weights(W_INT, **kwargs)


# --------------------------------------------------------------------------- shift-and-add (pure)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 12), st.data())
def test_shift_and_add_of_bit_planes_gives_the_integer_product(bits, data):
    rows = data.draw(st.integers(1, 6))
    cols = data.draw(st.integers(1, 4))
    x = data.draw(arrays(np.int64, (rows,), elements=st.integers(0, 2**bits - 1)))
    w = data.draw(arrays(np.int64, (rows, cols), elements=st.integers(-7, 7)))
    planes = bit_planes(x, bits)  # (bits, rows), LSB first
    per_cycle = planes @ w  # what each cycle's (exact) ADC codes would be
    np.testing.assert_array_equal(shift_and_add(per_cycle, bits), x @ w)


def test_shift_and_add_is_lsb_first_and_checks_shape():
    assert shift_and_add(np.array([1, 0, 0]), 3) == 1
    assert shift_and_add(np.array([0, 0, 1]), 3) == 4
    with pytest.raises(ParameterError):
        shift_and_add(np.zeros((4, 2)), 3)
    with pytest.raises(ParameterError):
        bit_planes([256], 8)


# --------------------------------------------------------------------------- encoders (pure)


def _area(source) -> float:
    points = np.array(source.waveform.points) if isinstance(source.waveform, Pwl) else np.zeros((1, 2))
    return float(np.trapezoid(points[:, 1], points[:, 0])) if len(points) > 1 else 0.0


def test_pulse_width_area_is_proportional_to_the_input():
    encoded = pulse_width_inputs([0, 1, 100, 255], bits=8, full_scale=255, v_read_V=0.2, max_width_s=1e-6,
                                 edge_s=1e-9)
    areas = np.array([_area(s) for s in encoded.sources])
    np.testing.assert_allclose(areas, 0.2 * 1e-6 * np.array([0, 1, 100, 255]) / 255, rtol=1e-12, atol=1e-30)


def test_amplitude_levels_and_bit_serial_cycles():
    amp = amplitude_inputs([0, 51, 255], bits=8, full_scale=255, v_read_V=0.2, width_s=1e-6)
    np.testing.assert_allclose([_area(s) for s in amp.sources], np.array([0, 0.04, 0.2]) * 1e-6, rtol=1e-12)
    bs = bit_serial_inputs([5, 0], bits=3, v_read_V=0.2, width_s=100e-9)
    assert bs.windows_s.shape == (3, 2) and bs.sample_s.shape == (3,)
    points = np.array(bs.sources[0].waveform.points)
    at_samples = np.interp(bs.sample_s, points[:, 0], points[:, 1])
    np.testing.assert_allclose(at_samples, [0.2, 0.0, 0.2])  # 5 = 0b101, LSB first


# --------------------------------------------------------------------------- validation before simulation


@pytest.fixture
def no_simulation(monkeypatch):
    import memspice.engine

    def refuse(*args, **kwargs):
        raise AssertionError("a simulation started")

    monkeypatch.setattr(memspice.engine, "run", refuse)


@pytest.mark.parametrize("bad", [
    {"inputs": np.ones(7)},  # shape mismatch
    {"inputs": np.ones((2, 9))},
    {"weights": np.ones(8)},
    {"inputs": np.array([1, 2, np.nan, 4, 5, 6, 7, 8.0])},
    {"weights": np.where(np.eye(8, 4) > 0, np.nan, 1.0)},
    {"inputs": -np.ones(8)},
    {"levels": 1}, {"levels": 0},
    {"input_bits": 0}, {"input_bits": 17}, {"adc_bits": 0}, {"adc_bits": 40},
    {"encoding": "thermometer"}, {"readout": "sense-amp"}, {"encoding": "pwm", "readout": "tia"},
    {"v_read_V": -0.2}, {"r_wire_ohm": float("nan")}, {"model": "no-such-model"},
])
def test_bad_configuration_fails_before_any_simulation(bad, no_simulation):
    kwargs = {"weights": W_INT, "inputs": X_INT[0]} | bad
    with pytest.raises(ParameterError):
        run_vmm(VmmConfig(**kwargs))


# --------------------------------------------------------------------------- the chain in ngspice


@pytest.mark.parametrize("readout", ["integrator", "tia"])
def test_bit_serial_inputs_reproduce_the_integer_product_exactly(readout, tmp_path):
    """8-bit inputs, bit-serial in 8 cycles, 12-bit ADC, 15-level weights: digital == X·W.

    Arithmetic. Weights −7…7 map with ΔG = (100 µS − 1 µS)/7 per unit, so in cycle k output j
    carries I⁺ − I⁻ = V_read·ΔG·p_k with p_k = Σ_i bit_k(x_i)·w_ij an integer in [−56, 56]
    (8 rows × 7). The ADC spans ±1 V in 2¹² codes: 1 LSB = 1 V / 2¹¹ = 0.488 mV, codes
    −2048…2047. The readout gain is set so one unit of p_k is one LSB:
    R_f = V_lsb / (V_read·ΔG) ≈ 173 Ω (TIA, unity-gain difference stage) or
    C = V_read·ΔG·T / V_lsb (integrator over a pulse of area V_read·T). Then code_k = p_k as long
    as the analog error stays below ½ LSB (measured ~1e-3 LSB), |p_k| ≤ 56 never clips, and
    shift-and-add Σ_k 2^k·code_k = Σ_k 2^k·p_k = x·w exactly (integers up to 255·56 = 14280).
    """
    config = VmmConfig(weights=W_INT, inputs=X_INT, encoding="bitserial", input_bits=8, readout=readout,
                       adc_bits=12, levels=15, read_time_s=50e-9)
    assert config.lsb_units == 1.0
    result = run_vmm(config)
    np.testing.assert_array_equal(result.ideal, X_INT @ W_INT)
    np.testing.assert_array_equal(result.digital, result.ideal)
    assert result.adc_codes.shape == (2, 8, 4) and np.abs(result.adc_codes).max() <= 56
    errors = result.errors()
    assert errors["mapping"]["max_abs_fs"] < 1e-12 and errors["total"]["max_abs_fs"] == 0.0
    # analog within a small fraction of one LSB per cycle, summed over the shift-and-add weights (≤ 255 units)
    assert np.max(np.abs(result.analog - result.ideal)) < 0.05 * 255
    assert result.energy_per_mac_J > 0 and result.latency_s > 8 * 50e-9

    written = write_vmm_report(result, tmp_path)
    frame = pd.read_csv(written["results.csv"])
    assert {"output", "ideal", "analog", "digital"} <= set(frame.columns) and len(frame) == 8
    np.testing.assert_array_equal(frame["digital"], frame["ideal"])
    summary = json.loads(written["summary.json"].read_text())
    assert summary["exact"] is True and set(summary["errors"]) >= {"mapping", "analog", "adc"}
    assert summary["energy_per_mac_J"] > 0 and summary["latency_s"] > 0
    assert written["vmm_chain.png"].stat().st_size > 10_000


def test_single_ended_with_reference_column_is_exact_too():
    result = run_vmm(VmmConfig(weights=W_INT, inputs=X_INT[:1], encoding="bitserial", readout="integrator",
                               adc_bits=12, levels=15, differential=False, read_time_s=50e-9))
    np.testing.assert_array_equal(result.digital, result.ideal)


def test_pulse_width_with_integrator_matches_amplitude_with_tia():
    weights = RNG.uniform(-1, 1, size=(8, 4))
    inputs = RNG.uniform(0, 1, size=(2, 8))
    common = {"weights": weights, "inputs": inputs, "input_bits": 8, "adc_bits": 10, "r_wire_ohm": 0.0}
    pwm = run_vmm(VmmConfig(encoding="pwm", readout="integrator", **common))
    amp = run_vmm(VmmConfig(encoding="amplitude", readout="tia", **common))
    full_scale = pwm.config.full_scale
    assert np.max(np.abs(pwm.analog - amp.analog)) / full_scale < 0.01
    assert np.max(np.abs(pwm.digital - amp.digital)) / full_scale < 0.01
    for result in (pwm, amp):
        assert result.errors()["total"]["max_abs_fs"] < 0.01


# --------------------------------------------------------------------------- engine policy


def test_explicit_vacask_is_refused_before_any_simulation(no_simulation):
    """VACASK has no B-sources and the op-amps have no Verilog-A twin: a one-line refusal, nothing run."""
    with pytest.raises(ParameterError, match="engine='vacask' cannot run the vmm chain") as caught:
        run_vmm(VmmConfig(weights=W_INT, inputs=X_INT[0]), options=RunOptions(engine="vacask"))
    assert "\n" not in str(caught.value) and "auto, shared or subprocess" in str(caught.value)


def test_auto_falls_back_to_ngspice_for_a_netlist_vacask_would_take():
    """64 memristor cells with Verilog-A twins would make auto pick VACASK; the op-amps keep it on ngspice."""
    from memspice.engine.runner import AUTO_VACASK_MIN_TWIN_INSTANCES, estimate_size
    from memspice.studies.vmm import plan

    config = VmmConfig(weights=RNG.uniform(-1, 1, (8, 4)), inputs=RNG.uniform(0, 1, 8), model="hp",
                       g_min_S=1.05 / 16e3, g_max_S=0.9 / 100, adc_bits=10)
    assert estimate_size(plan(config)[0].netlist).twin_instances >= AUTO_VACASK_MIN_TWIN_INSTANCES
    result = run_vmm(config, options=RunOptions(engine="auto"))
    assert result.engine == "shared" and result.summary()["engine"]["backend"] == "shared"
    assert result.errors()["total"]["max_abs_fs"] < 0.01
