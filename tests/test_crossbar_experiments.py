"""crossbar-read and read-margin end to end, with real simulators, against independent answers."""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pandas as pd
import pytest

from memspice.cli import main
from memspice.config import ConfigError
from memspice.engine.options import RunOptions
from memspice.studies import get_study
from memspice.studies.crossbar_read import CrossbarReadConfig, build_netlist, run_crossbar_read
from memspice.studies.read_margin import ReadMarginConfig, plan, run_read_margin


def test_crossbar_read_cli_matches_the_scipy_reference(tmp_path, capsys) -> None:
    out = tmp_path / "xb"
    argv = ["crossbar-read", "--rows", "16", "--cols", "24", "--pattern", "random", "--v-read", "0.3",
            "--r-word", "2", "--r-bit", "1", "--engine", "shared", "--out", str(out)]
    assert main(argv) == 0
    currents = pd.read_csv(out / "currents.csv")
    assert list(currents.columns[:4]) == ["col", "i_ideal_A", "i_sim_A", "rel_error"]
    np.testing.assert_allclose(currents["i_sim_A"], currents["i_reference_A"], rtol=1e-6)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["reference"]["max_rel_difference_sim_vs_reference"] < 1e-6
    assert summary["max_rel_error"] > 1e-3  # 2 Ω / 1 Ω wires cost accuracy: the study must see it
    assert {"t_generate_s", "t_simulate_s", "t_parse_s", "rmse_A", "worst_col", "engine"} <= set(summary)
    assert summary["engine"]["backend"] == "shared" and summary["engine"]["version"].startswith("ngspice")
    assert (out / "crossbar_read.png").stat().st_size > 10_000
    assert (out / "crossbar_read.cir").exists()


def test_crossbar_read_without_wire_resistance_is_the_ideal_product(tmp_path) -> None:
    conductance = np.exp(np.random.default_rng(3).uniform(np.log(1e-6), np.log(1e-3), (12, 9)))
    inputs = np.random.default_rng(4).uniform(-0.3, 0.3, 12)
    np.save(tmp_path / "g.npy", conductance)
    np.save(tmp_path / "v.npy", inputs)
    out = tmp_path / "ideal"
    assert main(["crossbar-read", "--conductances", str(tmp_path / "g.npy"), "--inputs", str(tmp_path / "v.npy"),
                 "--engine", "shared", "--out", str(out)]) == 0
    currents = pd.read_csv(out / "currents.csv")
    np.testing.assert_allclose(currents["i_sim_A"], conductance.T @ inputs, rtol=1e-9)


def test_crossbar_read_config_holds_the_matrix_of_a_file(tmp_path, capsys) -> None:
    """--print-config writes the numbers of --conductances/--inputs files, so the TOML runs alone."""
    conductance = np.exp(np.random.default_rng(5).uniform(np.log(1e-6), np.log(1e-3), (5, 7)))
    np.savetxt(tmp_path / "g.csv", conductance, delimiter=",", fmt="%.17g")
    np.save(tmp_path / "v.npy", np.linspace(-0.2, 0.3, 5))
    argv = ["crossbar-read", "--conductances", str(tmp_path / "g.csv"), "--inputs", str(tmp_path / "v.npy"),
            "--r-word", "1"]
    assert main([*argv, "--print-config"]) == 0
    (tmp_path / "g.toml").write_text(capsys.readouterr().out)
    (tmp_path / "g.csv").unlink()
    (tmp_path / "v.npy").unlink()
    config = CrossbarReadConfig.from_dict(tomllib.loads((tmp_path / "g.toml").read_text()))
    np.testing.assert_array_equal(config.conductance_matrix_S, conductance)
    assert main(["crossbar-read", "--config", str(tmp_path / "g.toml"), "--out", str(tmp_path / "run")]) == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["rows"] == 5 and summary["cols"] == 7 and summary["pattern"] == "custom"
    assert summary["reference"]["max_rel_difference_sim_vs_reference"] < 1e-6


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--rows", "8", "--cols", "8", "--r-word", "-1"], "--r-word=-1 is not allowed; allowed: [0, 1e+06] Ω"),
        (["--rows", "8", "--cols", "8", "--g-off", "0"], "--g-off=0 is not allowed; allowed: (0, 1000] S"),
        (["--rows", "0", "--cols", "8"], "--rows=0 is not allowed; allowed: [1, 16384]"),
        (["--cols", "8"], "--rows is required"),
        (["--conductances", "G_BAD"], "--conductances=-1e-05 at row 0, column 1 is not allowed; allowed: finite conductances in (0, 1000] S"),
        (["--conductances", "G_NAN"], "--conductances=nan at row 1, column 0 is not allowed"),
        (["--rows", "4", "--cols", "4", "--inputs", "V_SHORT"], "--inputs='3 values' is not allowed; allowed: one voltage per row (4)"),
        (["--conductances", "G_GOOD", "--rows", "5"], "--rows=5 does not match the conductance matrix; allowed: 4"),
        (["--rows", "4", "--cols", "4", "--selected", "0,3"], "--selected=0,3 selects a cell, but scheme parallel"),
        (["--rows", "4", "--cols", "4", "--scheme", "v2", "--selected", "0,4"], "--selected='0,4' is not allowed; allowed: a cell of the 4 × 4 array"),
        (["--rows", "4", "--cols", "4", "--scheme", "v3", "--inputs", "V_SHORT"], "--inputs=0,0,0 cannot be given with scheme v3"),
        (["--rows", "4", "--cols", "4", "--v-read", "0"], "--v-read=0 reads nothing"),
    ],
)
def test_crossbar_read_bad_input_fails_before_simulation(tmp_path, capsys, argv, message) -> None:
    files = {
        "G_BAD": np.array([[1e-4, -1e-5], [1e-4, 1e-4]]),
        "G_NAN": np.array([[1e-4, 1e-5], [np.nan, 1e-4]]),
        "G_GOOD": np.full((4, 4), 1e-4),
        "V_SHORT": np.zeros(3),
    }
    for name, array in files.items():
        np.save(tmp_path / f"{name}.npy", array)
    argv = [str(tmp_path / f"{a}.npy") if a in files else a for a in argv]
    out = tmp_path / "never"
    assert main(["crossbar-read", *argv, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_read_margin_0t1r_without_wires_matches_the_closed_form() -> None:
    """V/2 bias, ideal wires: I = V·g_sel + (N − 1)·(V/2)·g_on, so margin = (g_on − g_off)/(g_on·(N + 1)/2)."""
    config = ReadMarginConfig(sizes=(4, 16), cells=("0T1R",), r_wire_ohm=0.0)
    table = run_read_margin(config, options=RunOptions(engine="shared")).table
    for size, margin in zip(table["size"], table["margin"]):
        expected = (config.g_on_S - config.g_off_S) / (config.g_on_S * (size + 1) / 2)
        assert margin == pytest.approx(expected, rel=1e-9)


def test_selector_buys_back_read_margin_at_64x64(tmp_path) -> None:
    """Worst pattern, V/2 read, 1 Ω wires: the 1S1R margin at 64 × 64 exceeds the 0T1R margin (both reported)."""
    out = tmp_path / "margin"
    assert main(["read-margin", "--sizes", "64", "--scheme", "v2", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    margins = summary["margins"]
    assert margins["1S1R"]["64"] > 0.9 > 0.1 > margins["0T1R"]["64"] > 0
    assert (out / "read_margin.png").stat().st_size > 10_000
    assert len(summary["netlists"]) == 4 and all((out / name).stat().st_size > 0 for name in summary["netlists"])


def test_read_margin_plans_the_crossbar_read_jobs_of_its_points() -> None:
    """Every point is a crossbar-read of the far corner (worst pattern, selected ON or OFF), built by
    crossbar-read's own netlist builder: the same netlist text, point for point."""
    config = ReadMarginConfig(sizes=(8, 4), cells=("1S1R", "0T1R"), scheme="v3", r_wire_ohm=2.0)
    points, jobs = list(config.grid), plan(config)
    assert len(jobs) == len(points) == 8 and config.grid.axes == ("cell", "size", "selected_state")
    assert [dict(p.coords) for p in points[:3]] == [{"cell": "1S1R", "size": 4, "selected_state": "on"},
                                                   {"cell": "1S1R", "size": 4, "selected_state": "off"},
                                                   {"cell": "1S1R", "size": 8, "selected_state": "on"}]
    assert [job.name for job in jobs[:2]] == ["read_margin_1S1R_4x4_on", "read_margin_1S1R_4x4_off"]
    for point, job in zip(points, jobs):
        read = point.config
        assert isinstance(read, CrossbarReadConfig) and read.selected_cell == (0, point.coords["size"] - 1)
        assert (read.scheme, read.pattern, read.selected_state) == ("v3", "worst", point.coords["selected_state"])
        assert (read.r_word_ohm, read.r_bit_ohm, read.cell) == (2.0, 2.0, point.coords["cell"])
        assert job.netlist.render() == build_netlist(read)[0].render()
    assert get_study("read-margin").plan(config)[3].netlist.render() == jobs[3].netlist.render()


def test_read_margin_refuses_a_point_crossbar_read_refuses() -> None:
    """The grid is built on construction: a bad point fails before any simulation."""
    with pytest.raises(ConfigError, match="g_off_S"):
        ReadMarginConfig(g_on_S=1e-6, g_off_S=1e-4)
    with pytest.raises(ConfigError, match="repeats a value"):
        ReadMarginConfig(sizes=(8, 8))


@pytest.mark.parametrize("scheme", ["v2", "v3"])
def test_selected_cell_reads_match_the_scipy_reference_and_the_ideal_levels(scheme) -> None:
    """A v2/v3 read drives every line: with wires the scipy solve (bit-line biases) agrees, and with
    ideal wires the column currents are Σᵢ G_ij·(V_i − V_j) exactly."""
    options = RunOptions(engine="shared")
    wired = CrossbarReadConfig(rows=6, cols=5, pattern="random", seed=2, v_read_V=0.6, r_word_ohm=3.0, r_bit_ohm=1.0,
                               scheme=scheme, selected=(2, 1), selected_state="off")
    result = run_crossbar_read(wired, options=options)
    np.testing.assert_allclose(result.currents_A, result.reference_A, rtol=1e-6)
    assert result.summary()["selected"]["g_S"] == wired.g_off_S
    assert wired.word_levels_V[2] == 0.6 and wired.bit_levels_V[1] == 0.0
    ideal = run_crossbar_read(CrossbarReadConfig(**{**wired.to_dict(), "r_word_ohm": 0.0, "r_bit_ohm": 0.0}), options=options)
    np.testing.assert_allclose(ideal.currents_A, ideal.config.ideal_currents_A, rtol=1e-9)


def test_floating_read_sees_the_sneak_paths() -> None:
    """Open unselected lines, every other cell ON: the selected column carries far more than the
    OFF cell's own V·g_off (three-cell sneak paths), and the open columns carry nothing."""
    config = CrossbarReadConfig(rows=8, cols=8, pattern="worst", v_read_V=0.5, scheme="float", selected_state="off")
    result = run_crossbar_read(config, options=RunOptions(engine="shared"))
    assert result.reference_A is None
    assert result.sensed_current_A > 10 * 0.5 * config.g_off_S
    np.testing.assert_array_equal(result.currents_A[:-1], 0.0)


def test_vmm_cli_bit_serial_reproduces_the_integer_product(tmp_path, capsys) -> None:
    rng = np.random.default_rng(7)
    weights, inputs = rng.integers(-7, 8, (8, 4)), rng.integers(0, 256, 8)
    np.save(tmp_path / "w.npy", weights)
    np.save(tmp_path / "x.npy", inputs)
    out = tmp_path / "vmm"
    assert main(["vmm", "--weights", str(tmp_path / "w.npy"), "--inputs", str(tmp_path / "x.npy"),
                 "--encoding", "bitserial", "--readout", "integrator", "--adc-bits", "12", "--levels", "15",
                 "--out", str(out)]) == 0
    results = pd.read_csv(out / "results.csv")
    np.testing.assert_array_equal(results["digital"].to_numpy(), weights.T @ inputs)
    np.testing.assert_array_equal(results["ideal"].to_numpy(), weights.T @ inputs)
    assert json.loads((out / "summary.json").read_text())["energy_per_mac_J"] > 0


def test_vmm_with_memristor_cells_programmed_to_the_weights() -> None:
    """HP cells set to their target G at the read voltage: the chain stays within 1 % of full scale."""
    from memspice.studies.vmm import VmmConfig, run_vmm

    rng = np.random.default_rng(11)
    config = VmmConfig(weights=rng.uniform(-1, 1, (4, 2)), inputs=rng.uniform(0, 1, 4), model="hp",
                       g_min_S=1.05 / 16e3, g_max_S=0.9 / 100, adc_bits=10)
    assert run_vmm(config).errors()["total"]["max_abs_fs"] < 0.01


def test_write_scheme_cli_v2_switches_the_target_and_spares_the_rest(tmp_path) -> None:
    out = tmp_path / "v2"
    assert main(["write-scheme", "--scheme", "v2", "--rows", "6", "--cols", "6", "--target", "2,3",
                 "--engine", "shared", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["selected_switched"] == {"2,3": True} and summary["verdict"] == "pass"
    assert summary["worst_half_selected_v_peak_V"] == pytest.approx(1.0, rel=1e-2)  # V_W/2 with ideal wires
    cells = pd.read_csv(out / "cells.csv")
    assert list(cells.columns) == ["row", "col", "role", "state_before", "state_after", "d_state", "v_peak_V"]
    assert (cells["role"] == "half_selected").sum() == 6 + 6 - 2


def test_write_margin_cli_maps_the_window(tmp_path) -> None:
    out = tmp_path / "wm"
    assert main(["write-margin", "--rows", "4", "--cols", "4", "--v-writes", "1.2,2.0,3.2", "--pulse-widths", "10n,50n",
                 "--engine", "shared", "--out", str(out)]) == 0
    table = pd.read_csv(out / "write_margin.csv")
    passing = {(row.v_write_V, row.pulse_width_s) for row in table.itertuples() if row.passed}
    assert passing == {(2.0, 50e-9)}  # 1.2 V: below threshold; 10 ns: too short; 3.2 V: V/2 disturbs
    assert (out / "write_margin.png").exists() and (out / "summary.json").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["--rows", "4", "--cols", "4", "--cell", "0T1R", "--gate-voltage", "2"], "--gate-voltage=2 applies to 1T1R cells only"),
    (["--rows", "2", "--cols", "2", "--inputs", "0.1,0.2", "--v-read", "0.3"], "--v-read=0.3 cannot be given with inputs"),
])
def test_an_option_that_would_be_ignored_is_refused(argv, message, tmp_path, capsys) -> None:
    assert main(["crossbar-read", *argv, "--out", str(tmp_path / "never")]) == 2
    assert message in capsys.readouterr().err and not (tmp_path / "never").exists()
