"""Line schedules, Manhattan two-step updates and program-and-verify co-simulation (issue 5, points 2 and 5).

Simulated numbers come from real ngspice; they are held against the schedule's ideal cell
voltages (word level minus bit level), against the model's own equations evaluated in
Python on the simulated states, and against the tolerance the caller asked for.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from memspice.circuits.line_schedule import Phase, Schedule
from memspice.circuits.write_schemes import manhattan_phases, scheme_phase
from memspice.errors import ParameterError
from memspice.flows.array_pulses import ArrayBench, run_schedule
from memspice.netlist import Dc
from memspice.netlist.elements import Pwl
from memspice.spicelib.presets import WRITE_DEVICE_PARAMS
from memspice.studies.programming import ProgramConfig, run_program, write_program_report

V_P = 1.5  # programming amplitude: above VTEAM's 1.4 V threshold, V/2 = 0.75 V well below it


# --------------------------------------------------------------------------- pure: schedules


def test_schedule_timing_and_line_waveforms():
    write = Phase.from_levels([1.0, 0.5], [0.0, 0.5, 0.5], width_s=10e-9, rise_s=1e-9, label="w")
    read = Phase.read(2, 3, 1, v_read_V=0.2, width_s=4e-9)
    schedule = Schedule((write, read), gap_s=2e-9, delay_s=3e-9, tail_s=1e-9)
    assert schedule.starts_s.tolist() == pytest.approx([3e-9, 3e-9 + 12e-9 + 2e-9])
    assert schedule.flat_top_s(0) == pytest.approx((4e-9, 14e-9))
    assert schedule.stop_s == pytest.approx(17e-9 + 6e-9 + 1e-9)
    word = schedule.word_waveforms()
    assert isinstance(word[0], Pwl)
    np.testing.assert_allclose(word[0].points, [(0, 0), (3e-9, 0), (4e-9, 1.0), (14e-9, 1.0), (15e-9, 0)], atol=1e-18)
    # Row 1 holds 0.5 V in the write and 0.2 V in the read.
    assert [v for _, v in word[1].points] == [0, 0, 0.5, 0.5, 0, 0, 0.2, 0.2, 0]
    bit = schedule.bit_waveforms()
    assert bit[0] == Dc(0.0) and isinstance(bit[1], Pwl)
    np.testing.assert_allclose(write.cell_voltages_V, [[1.0, 0.5, 0.5], [0.5, 0.0, 0.0]])
    np.testing.assert_allclose(read.cell_voltages_V, [[0, 0, 0], [0.2, 0.2, 0.2]])


@pytest.mark.parametrize("bad, match", [
    (lambda: Schedule(()), "non-empty"),
    (lambda: Schedule((Phase.read(2, 2, 0, v_read_V=0.2, width_s=1e-9), Phase.read(3, 2, 0, v_read_V=0.2,
                                                                                    width_s=1e-9))), "array size"),
    (lambda: Phase.from_levels([np.nan], [0.0], width_s=1e-9), "floating"),
    (lambda: Phase.from_levels([1.0], [0.0], width_s=0.0), "width_s"),
    (lambda: Phase.read(2, 2, 5, v_read_V=0.2, width_s=1e-9), "row=5"),
    (lambda: Schedule((Phase.read(2, 2, 0, v_read_V=0.2, width_s=1e-9),), gap_s=0.0), "gap_s"),
    (lambda: scheme_phase("float", 2, 2, [(0, 0)], 2.0), "float"),
])
def test_schedule_refuses_bad_input(bad, match):
    with pytest.raises(ParameterError, match=match):
        bad()


def test_manhattan_phases_two_steps_of_one_column():
    phases = manhattan_phases(4, 5, line=2, increase=[0, 3], decrease=[1], v_increase_V=-V_P, v_decrease_V=V_P,
                              width_s=10e-9)
    assert [p.label for p in phases] == ["increase column 2", "decrease column 2"]
    up, down = (p.cell_voltages_V for p in phases)
    # Step 1: the chosen cells of column 2 see the full pulse, every other cell at most half of it.
    assert up[[0, 3], 2] == pytest.approx([-V_P, -V_P])
    others = np.ones_like(up, dtype=bool)
    others[[0, 3], 2] = False
    assert np.abs(up[others]).max() == pytest.approx(V_P / 2)
    assert down[1, 2] == pytest.approx(V_P)
    assert np.count_nonzero(np.abs(down) > V_P * 0.75) == 1
    # Row-parallel: the same along a row; an empty step is left out.
    row = manhattan_phases(4, 5, line=1, increase=[], decrease=[0, 4], v_increase_V=-V_P, v_decrease_V=V_P,
                           axis="row", width_s=10e-9)
    assert len(row) == 1 and row[0].cell_voltages_V[1, [0, 4]] == pytest.approx([V_P, V_P])
    with pytest.raises(ParameterError, match="both increase and decrease"):
        manhattan_phases(4, 5, line=0, increase=[1], decrease=[1], v_increase_V=-1, v_decrease_V=1)
    with pytest.raises(ParameterError, match="line=7"):
        manhattan_phases(4, 5, line=7, increase=[1], decrease=[], v_increase_V=-1, v_decrease_V=1)
    with pytest.raises(ParameterError, match="axis"):
        manhattan_phases(4, 5, line=0, increase=[1], decrease=[], v_increase_V=-1, v_decrease_V=1, axis="diagonal")


# --------------------------------------------------------------------------- ngspice: two-step column update


def test_two_step_column_update_moves_only_the_chosen_cells():
    """Column 1 of a 4 × 4 VTEAM array: rows 0 and 2 up (toward ON, negative pulse for VTEAM),
    row 3 down, in one transient from mid-range states; every other cell must not move."""
    bench = ArrayBench(4, 4, params=WRITE_DEVICE_PARAMS)
    states0 = np.full((4, 4), 0.5)
    phases = manhattan_phases(4, 4, line=1, increase=[0, 2], decrease=[3], v_increase_V=-V_P, v_decrease_V=V_P,
                              width_s=10e-9)
    schedule = Schedule(tuple(phases), gap_s=2e-9)
    run = run_schedule(bench, states0, schedule)
    d_state = run.states_after - run.states_before
    assert d_state[0, 1] < -0.05 and d_state[2, 1] < -0.05 and d_state[3, 1] > 0.05
    assert d_state[0, 1] == pytest.approx(d_state[2, 1], rel=1e-6)  # same pulse, same start: same step
    untouched = np.ones((4, 4), dtype=bool)
    untouched[[0, 2, 3], 1] = False
    assert np.abs(d_state[untouched]).max() < 1e-9
    # Peak cell voltages against the ideal levels of each step (ideal wires: within 1 %).
    v = run.cell_voltages_V()
    for index, phase in enumerate(phases):
        start, end = schedule.flat_top_s(index)
        inside = (run.time_s > start) & (run.time_s < end)
        np.testing.assert_allclose(v[inside].mean(axis=0), phase.cell_voltages_V, atol=0.01 * V_P)
    assert G_from_model_matches_simulated_read(bench, run.states_after)


def G_from_model_matches_simulated_read(bench: ArrayBench, states: np.ndarray) -> bool:
    """A simulated read of every row equals the model equations evaluated in Python (1e-9)."""
    reads = Schedule(tuple(Phase.read(bench.rows, bench.cols, r, v_read_V=0.2, width_s=5e-9) for r in range(bench.rows)))
    run = run_schedule(bench, states, reads)
    simulated = np.array([run.read_row_conductance_S(r) for r in range(bench.rows)])
    np.testing.assert_allclose(simulated, bench.read_conductance(states, 0.2), rtol=1e-9)
    return True


# --------------------------------------------------------------------------- ngspice: write-verify vs without verify


def _targets(seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).uniform(15e-6, 85e-6, (4, 4))


@pytest.fixture(scope="module")
def program():
    config = ProgramConfig(_targets(), pattern="random", seed=1, max_pulses=8)
    return run_program(config)


def test_write_verify_reaches_the_target_within_tolerance_and_n_pulses(program):
    config = program.config
    assert config.tolerance_S == pytest.approx(0.02 * 90e-6)  # default: 2 % of the 10-100 µS range
    error = program.verify.final_S - config.target_S
    assert np.abs(error).max() <= config.tolerance_S
    assert program.verify.pulses.max() <= config.max_pulses
    # The final read is a separate simulated read of the whole array: every cell, including
    # the ones programmed first, kept its value through the later cells' half-select pulses.
    history = program.history
    last = history.groupby(["row", "col"]).last()
    np.testing.assert_allclose(last["g_S"].to_numpy().reshape(4, 4), program.verify.final_S, rtol=1e-6)
    assert (history.groupby(["row", "col"])["pulse"].max().to_numpy() == program.verify.pulses.ravel()).all()


def test_write_without_verify_is_reported_beside_it(program):
    table = program.table().set_index("method")
    assert list(table.index) == ["write-verify", "write-without-verify"]
    verify, open_loop = table.loc["write-verify"], table.loc["write-without-verify"]
    assert verify["cells_within_tolerance"] == 16
    # Open loop: pulse counts read off the calibration curve, no read-back. Identical devices,
    # so its error is the granularity of one fixed pulse where G(x) is steep: larger than the tolerance.
    assert open_loop["pulses_total"] == program.open_loop.pulses.sum() > 0
    assert open_loop["max_abs_error_S"] > verify["max_abs_error_S"]
    assert open_loop["transients"] == 1 and open_loop["write_steps"] >= program.open_loop.pulses.max()
    assert open_loop["energy_J"] > 0 and verify["energy_J"] > 0
    # The calibration found VTEAM's polarity: a negative pulse raises G.
    assert program.calibration.up_sign == -1.0
    up = program.calibration.curve_up_S
    assert np.all(np.diff(up) >= -1e-12) and up[0] == pytest.approx(10e-6) and up[-1] == pytest.approx(100e-6)


def test_write_verify_with_too_few_pulses_is_reported_not_raised():
    config = ProgramConfig(_targets()[:2, :2], pattern="all-off", max_pulses=1, tolerance_S=0.2e-6)
    result = run_program(config)
    summary = result.summary()
    assert summary["all_within_tolerance"]["write-verify"] is False
    assert result.verify.pulses.max() == 1


def test_program_report_files(program, tmp_path):
    written = write_program_report(program, tmp_path)
    assert set(written) == {"methods.csv", "cells.csv", "write_verify_history.csv", "write_verify_pulse.cir",
                            "write_without_verify.cir", "program.png", "summary.json"}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["all_within_tolerance"]["write-verify"] is True
    assert [m["method"] for m in summary["methods"]] == ["write-verify", "write-without-verify"]
    cells = pd.read_csv(tmp_path / "cells.csv")
    assert len(cells) == 16 and {"target_S", "verify_final_S", "open_loop_final_S", "verify_pulses"} <= set(cells)
    assert (tmp_path / "program.png").stat().st_size > 10_000
    assert ".tran" in (tmp_path / "write_without_verify.cir").read_text()


@pytest.mark.parametrize("change, match", [
    ({"target_S": np.full((2, 2), 200e-6)}, "outside the device's read range"),
    ({"max_pulses": 0}, "max_pulses"),
    ({"width_min_s": 1e-6}, "width_min_s"),
    ({"v_program_V": -1.5}, "v_program_V"),
    ({"parallel": "diagonal"}, "parallel"),
    ({"pattern": "stripes"}, "pattern"),
    ({"target_S": "big"}, "target_S"),
    ({"model": "nope"}, "nope"),
])
def test_program_config_refuses_bad_input(change, match):
    arguments = {"target_S": np.full((2, 2), 50e-6), **change}
    with pytest.raises(ParameterError, match=match):
        ProgramConfig(**arguments)


def test_program_and_coincidence_commands(tmp_path, capsys):
    from memspice.cli import main

    targets = tmp_path / "targets.csv"
    targets.write_text("50e-6,30e-6\n20e-6,80e-6\n")
    assert main(["program", "--targets", str(targets), "--max-pulses", "6", "--out", str(tmp_path / "p")]) == 0
    out = capsys.readouterr().out
    assert "write-verify: " in out and "4/4 cells within tolerance" in out and "write-without-verify: " in out
    summary = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert summary["rows"] == 2 and summary["max_pulses"] == 6 and summary["all_within_tolerance"]["write-verify"]
    # Bad input: refused before any simulation, nothing written.
    targets.write_text("50e-6,300e-6\n")
    assert main(["program", "--targets", str(targets), "--out", str(tmp_path / "bad")]) == 2
    assert "outside the device's read range" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
    assert main(["coincidence", "--x", "1,2", "--delta=-2,0,3", "--out", str(tmp_path / "c")]) == 0
    assert "measured pulse counts == x*delta" in capsys.readouterr().out
    assert json.loads((tmp_path / "c" / "summary.json").read_text())["measured_pulses"] == [[-2, 0, 3], [-4, 0, 6]]
    assert main(["coincidence", "--x", "0,-1", "--delta", "1", "--out", str(tmp_path / "c2")]) == 2
    assert "--x=0,-1: value 2 (-1) is not allowed; allowed: [0, 4096]" in capsys.readouterr().err


def test_out_naming_an_existing_file_is_refused_before_simulation(tmp_path, capsys):
    from memspice.cli import main

    blocker = tmp_path / "report"
    blocker.write_text("not a folder")
    assert main(["program", "--rows", "2", "--cols", "2", "--out", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert "is an existing file" in err and "simulated" not in err
