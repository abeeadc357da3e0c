"""The accuracy chain (issue 18): dataset and network, tiles, SPICE extraction, the transient check,
Yao's randomise-and-retrain, the study's report and its bad-input messages."""

from __future__ import annotations

import json

import numpy as np
import pytest

from memspice.analysis.chip import AdcReadout, difference_map
from memspice.circuits.tiles import partition
from memspice.engine.options import RunOptions
from simulators import needs_ngspice, needs_vacask


def test_split_is_fixed_and_stratified():
    from memspice.analysis.digits import digits_split

    split = digits_split()
    assert split.x_train.shape == (1347, 64) and split.x_test.shape == (450, 64)
    assert 0.0 <= split.x_train.min() and split.x_train.max() <= 1.0
    train, test = np.bincount(split.y_train), np.bincount(split.y_test)
    assert np.all(np.abs(test / test.sum() - train / train.sum()) < 0.01)  # stratified


def test_mlp_is_deterministic_and_accurate():
    from memspice.analysis.digits import accuracy, digits_split, train_mlp

    split = digits_split()
    a = train_mlp(split.x_train, split.y_train, hidden=16, epochs=150, seed=3)
    b = train_mlp(split.x_train, split.y_train, hidden=16, epochs=150, seed=3)
    assert np.array_equal(a.w1, b.w1) and np.array_equal(a.w2, b.w2)
    assert accuracy(a.predict(split.x_test), split.y_test) > 0.9


def test_partition_covers_the_layer_once():
    tiles = partition(64, 32, tile_rows=20, tile_columns=12)
    assert all(t.rows <= 20 and t.columns <= 12 for t in tiles)
    covered = np.zeros((64, 32), dtype=int)
    for t in tiles:
        covered[t.row_start:t.row_stop, t.output_start:t.output_stop] += 1
    assert np.all(covered == 1)
    g_plus, g_minus = np.arange(64 * 32).reshape(64, 32) + 1.0, -np.ones((64, 32))
    g = tiles[0].conductances(g_plus, g_minus)
    assert g.shape == (tiles[0].rows, tiles[0].columns)
    assert np.array_equal(g[:, : tiles[0].outputs], g_plus[: tiles[0].rows, : tiles[0].outputs])


def test_bad_tile_columns_is_refused():
    with pytest.raises(Exception, match="tile_columns"):
        partition(8, 4, tile_rows=4, tile_columns=3)


@needs_vacask
def test_extracted_tile_matches_scipy_nodal_solve():
    """The batched VACASK reads give the map of the wired tile: any input vector's currents equal
    an independent scipy solve of the same network."""
    from memspice.analysis.crossbar_reference import solve_crossbar
    from memspice.flows.tile_reads import extract_tile_matrix

    rng = np.random.default_rng(4)
    g = rng.uniform(1e-6, 100e-6, (12, 10))
    extracted = extract_tile_matrix(g, r_wire_ohm=2.0, v_read_V=0.2, options=RunOptions(engine="vacask"))
    assert extracted.engine == "vacask"
    for _ in range(3):
        v = rng.uniform(0, 0.2, 12)
        reference = solve_crossbar(g, v, r_word_ohm=2.0, r_bit_ohm=2.0).output_currents_A
        np.testing.assert_allclose(extracted.matrix_A_per_V @ v, reference, rtol=1e-9, atol=0)
    # the wires matter at this size: the ideal product Gᵀ·V is off by more than the tolerance
    assert np.max(np.abs(extracted.matrix_A_per_V - g.T)) / np.max(g) > 1e-4


def test_adc_model_counts_integer_products_exactly():
    """With integer weights and one LSB per unit the bit-serial ADC model returns the integer product."""
    rng = np.random.default_rng(0)
    weights = rng.integers(-3, 4, (6, 2)).astype(float)
    delta = 1e-6
    m = np.vstack([np.where(weights > 0, weights, 0).T, np.where(weights < 0, -weights, 0).T]) * delta + 1e-7
    readout = AdcReadout(v_read_V=0.2, feedback_ohm=1.0 / (0.2 * delta * 2**7), adc_bits=8, adc_full_scale_V=1.0,
                         input_bits=4)  # one LSB = one unit of weight
    codes = rng.integers(0, 16, (5, 6))
    assert readout.units_per_code(delta) == pytest.approx(1.0)
    np.testing.assert_array_equal(readout.digital(difference_map(m), codes), codes @ weights.astype(int))


SMALL = dict(hidden=8, draws=2, tile_rows=16, tile_columns=8, test_images=40, check_images=4,
             randomise_fraction=0.1, retrain_images=60, retrain_epochs=3)


@pytest.fixture(scope="module")
def small_result(tmp_path_factory):
    from memspice.studies.accuracy_chain import AccuracyChainConfig, run_accuracy_chain, write_chain_report

    result = run_accuracy_chain(AccuracyChainConfig(**SMALL), options=RunOptions(engine="auto"))
    folder = tmp_path_factory.mktemp("accuracy")
    write_chain_report(result, folder)
    return result, folder


@needs_ngspice
@needs_vacask
def test_extracted_chip_agrees_with_full_transients(small_result):
    """Every tile's readout chain simulated in ngspice (bit-serial pulses, wires, TIAs, difference
    stages) gives the extracted-matrix model's ADC codes and classes, currents within 1e-6."""
    result, _ = small_result
    check = result.check
    assert check["images"] == 4
    assert check["identical_adc_codes"] and check["adc_codes_differing_off_ties"] == 0
    assert check["identical_hidden_codes"] and check["identical_classes"]
    assert check["max_current_error_rel"] < 1e-6
    assert check["accuracy_transient"] == check["accuracy_model"]
    assert result.energy["inputs"] > 0 and result.energy["adc"] > 0 and 0 < result.energy["adc_share"] < 1


@needs_ngspice
@needs_vacask
def test_chain_is_monotone_and_reported(small_result):
    result, folder = small_result
    import pandas as pd

    chain = pd.read_csv(folder / "chain.csv")
    assert list(chain.step[:5]) == ["software", "quantised", "mapped", "wires", "chip"]
    assert list(chain.draws[:5]) == [1, 1, 2, 2, 2]
    assert result.monotone()
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["complete"] and summary["check"]["identical_classes"]
    assert {"chain.png", "confusion.csv", "retrain.csv"} <= set(summary["files"])
    assert summary["chain"]["software"]["mean"] > 0.85
    assert int(pd.read_csv(folder / "confusion.csv").drop(columns="true").to_numpy().sum()) == 40


@needs_ngspice
@needs_vacask
def test_retraining_in_spice_recovers_part_of_the_loss(small_result):
    """Randomising 10 % of the weights costs accuracy; Manhattan V/2 pulses on the last layer's
    memristors (SPICE transients) win part of it back."""
    result, _ = small_result
    retrain = result.retrain
    chip = float(np.mean(result.accuracies["chip"]))
    assert retrain["randomised"] < chip
    assert retrain["retrained"] > retrain["randomised"]
    assert retrain["pulses"] > 0 and retrain["energy_J"] > 0
    assert result.retrain_history.train_accuracy.iloc[-1] > result.retrain_history.train_accuracy.iloc[0]


@pytest.mark.parametrize("argument, message", [
    ("--levels=1", "--levels=1 is not allowed"),
    ("--tile-columns=7", "--tile-columns=7"),
    ("--check-images=500", "--check-images=500"),
    ("--check-images=450", "--check-images=450 would take about"),
    ("--variation=lognormal:x", "--variation='lognormal:x'"),
])
def test_bad_input_is_one_line_and_exit_2(argument, message, tmp_path, capsys):
    from memspice.cli import main

    status = main(["accuracy-chain", argument, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_set_only_pairs_degrade_as_the_refresh_interval_grows():
    """Burr's SET-only pairs: refreshing often keeps the accuracy, rarely or never loses it."""
    from memspice.analysis.burr import refresh_sweep

    rows = {row["refresh_every"]: row["accuracy_mean"] for row in
            refresh_sweep([10, 400, 0], seeds=2, epochs=2, train_images=400)}
    assert rows[10] >= rows[400] >= rows[0] + 0.05
    assert rows[10] >= rows[0] + 0.15


def test_device_models_bound_and_move_as_documented():
    """Bounded devices stay in [0, 1]; SET-only pairs only ever rise between refreshes; the
    nonlinear SET step shrinks as G grows; a refresh keeps w and leaves one side at 0."""
    from memspice.analysis.burr import DeviceModel, _Pairs

    rng = np.random.default_rng(0)
    pairs = _Pairs(rng.normal(0, 0.3, (5, 4)), DeviceModel("unidirectional"), rng)
    gp, gm = pairs.gp.copy(), pairs.gm.copy()
    for _ in range(50):
        pairs.update(rng.normal(0, 0.2, (5, 4)))
    assert np.all(pairs.gp >= gp) and np.all(pairs.gm >= gm) and pairs.gp.max() <= 1.0
    w = pairs.weights.copy()
    pairs.refresh()
    np.testing.assert_allclose(pairs.weights, w, atol=1e-15)
    assert np.all(np.minimum(pairs.gp, pairs.gm) == 0)
    nonlinear = _Pairs(np.zeros((1, 2)), DeviceModel("nonlinear"), rng)
    low, high = nonlinear._move(np.array([0.1, 0.8]), np.array([1.0, 1.0]), True, 1.0) - np.array([0.1, 0.8])
    assert low > high > 0


@needs_ngspice
@needs_vacask
def test_nonlinear_cells_are_read_as_they_are_and_the_map_only_linearises_them():
    """1T1R tiles: the batched DC reads agree between VACASK and ngspice, and differ from the
    extracted (linearised) map for multi-hot inputs, where a linear tile's do not."""
    from memspice.flows.tile_reads import extract_tile_matrix, read_tile

    rng = np.random.default_rng(2)
    g = rng.uniform(20e-6, 100e-6, (6, 4))
    inputs = 0.2 * rng.integers(0, 2, (5, 6)).astype(float)
    deviations = {}
    for cell in ("0T1R", "1T1R"):
        m = extract_tile_matrix(g, r_wire_ohm=1.0, v_read_V=0.2, cell=cell, options=RunOptions(engine="vacask"))
        vacask, batch = read_tile(g, inputs, r_wire_ohm=1.0, cell=cell, options=RunOptions(engine="vacask"))
        ngspice, _ = read_tile(g, inputs, r_wire_ohm=1.0, cell=cell, options=RunOptions(engine="shared"))
        assert batch.engine == "vacask"
        np.testing.assert_allclose(vacask, ngspice, rtol=1e-6, atol=1e-15)
        deviations[cell] = float(np.max(np.abs(inputs @ m.matrix_A_per_V.T - vacask)) / np.max(np.abs(vacask)))
    assert deviations["0T1R"] < 1e-12
    assert 1e-7 < deviations["1T1R"] < 0.05
