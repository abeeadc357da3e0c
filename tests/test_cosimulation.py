"""Co-simulation without a simulator start per pulse (issue 16, point 3): several netlists of
one array in one VACASK process, and write-verify running its rows side by side."""

from __future__ import annotations

import time

import numpy as np
import pytest

from memspice.engine.options import RunOptions
from memspice.engine.vacask_batch import combine
from memspice.errors import NetlistError
from memspice.flows.array_pulses import run_schedule, run_schedules
from memspice.studies.programming import ProgramConfig, _read_all, calibrate, write_verify
from simulators import needs_vacask

VACASK = RunOptions(engine="vacask")


def _programs(config: ProgramConfig) -> list[tuple[np.ndarray, object]]:
    states = config.initial_states()
    moved = states.copy()
    moved[2, 1] = 0.37
    return [
        (states, config.schedule([config.write_phase([(0, 0)], 1.5, 5e-9, "w"), config.read_phase(0)])),
        (moved, config.schedule([config.write_phase([(1, 2)], -1.5, 0.3e-9, "w"), config.read_phase(1)])),
        (states, config.schedule([config.read_phase(r) for r in range(config.shape[0])])),
    ]


@needs_vacask
def test_a_batch_in_one_vacask_process_gives_each_netlists_own_numbers():
    config = ProgramConfig(rows=4, cols=4, seed=3)
    programs = _programs(config)
    batch = run_schedules(config.bench, programs, options=VACASK)
    for (states0, schedule), together in zip(programs, batch):
        alone = run_schedule(config.bench, states0, schedule, options=VACASK)
        assert together.netlist_text == alone.netlist_text  # each saved netlist still runs alone
        # states and node voltages bit for bit; a 0 V line's branch current differs by < 1e-19 A
        np.testing.assert_array_equal(together.state_traces(), alone.state_traces())
        np.testing.assert_array_equal(together.states_after, alone.states_after)
        np.testing.assert_allclose(together.waveforms.data.to_numpy(), alone.waveforms.data.to_numpy(),
                                   rtol=0, atol=1e-18)
        np.testing.assert_allclose(together.energy_J(), alone.energy_J(), rtol=1e-12)


@needs_vacask
def test_combine_refuses_netlists_of_other_circuits():
    small = ProgramConfig(rows=2, cols=2, seed=3)
    large = ProgramConfig(rows=2, cols=3, seed=3)
    texts = []
    for config in (small, large):
        states = config.initial_states()
        run = run_schedule(config.bench, states, config.schedule([config.read_phase(0)]), options=VACASK)
        texts.append(run.netlist_text)
    with pytest.raises(NetlistError, match="not the same circuit|differs from"):
        combine(texts)


@needs_vacask
def test_write_verify_with_rows_side_by_side_gives_the_same_pulses_and_conductances_faster():
    config = ProgramConfig(rows=4, cols=4, seed=3, max_pulses=8)
    states0 = config.initial_states()
    initial, _ = _read_all(config, states0, "initial_read", VACASK)
    calibration = calibrate(config, options=VACASK)
    timed = {}
    results = {}
    for together in (False, True):
        started = time.perf_counter()
        results[together] = write_verify(config, calibration, states0, initial, options=VACASK,
                                         rows_together=together)
        timed[together] = time.perf_counter() - started
    (one, history_one, netlists_one), (rows, history_rows, netlists_rows) = results[False], results[True]
    np.testing.assert_array_equal(rows.pulses, one.pulses)
    np.testing.assert_allclose(rows.final_S, one.final_S, rtol=1e-9, atol=0)
    np.testing.assert_allclose(history_rows["g_S"], history_one["g_S"], rtol=1e-9, atol=0)
    np.testing.assert_allclose(history_rows["width_s"], history_one["width_s"], rtol=1e-9, atol=0)
    assert history_rows[["row", "col", "pulse", "amplitude_V"]].equals(history_one[["row", "col", "pulse", "amplitude_V"]])
    assert rows.transients == one.transients and netlists_rows == netlists_one
    assert one.pulses.sum() >= 16  # enough pulses for the ratio to mean something
    # and against the model equations: the read-back conductances are those of the final states
    assert np.all(np.abs(rows.final_S - config.target_matrix_S)[rows.pulses < config.max_pulses]
                  <= config.tolerance_S)
    assert timed[True] < 0.8 * timed[False], timed  # one VACASK start per round of 4 pulses, not per pulse
