"""crossbar-read and read-margin end to end, with real simulators, against independent answers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from memspice.cli import main
from memspice.experiments.read_margin import ReadMarginConfig, run_read_margin


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


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--rows", "8", "--cols", "8", "--r-word", "-1"], "r_word_ohm=-1.0 is not allowed"),
        (["--rows", "8", "--cols", "8", "--g-off", "0"], "every conductance must be finite and > 0"),
        (["--rows", "0", "--cols", "8"], "--rows=0 must be in [1, 4096]"),
        (["--conductances", "G_BAD"], "conductance_S[0, 1] = -1e-05 S: every conductance must be finite and > 0"),
        (["--conductances", "G_NAN"], "conductance_S[1, 0] = nan S"),
        (["--rows", "4", "--cols", "4", "--inputs", "V_SHORT"], "inputs_V must have shape (4,) (one per row); got (3,)"),
        (["--conductances", "G_GOOD", "--rows", "5"], "--conductances has shape (4, 4) but --rows/--cols say (5, None)"),
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
    config = ReadMarginConfig(sizes=(4, 16), cells=("0T1R",), r_wire_ohm=0.0, engine="shared")
    table = run_read_margin(config).table
    for size, margin in zip(table["size"], table["margin"]):
        expected = (config.g_on_S - config.g_off_S) / (config.g_on_S * (size + 1) / 2)
        assert margin == pytest.approx(expected, rel=1e-9)


def test_selector_buys_back_read_margin_at_64x64(tmp_path) -> None:
    """Worst pattern, V/2 read, 1 Ω wires: the 1S1R margin at 64 × 64 exceeds the 0T1R margin (both reported)."""
    out = tmp_path / "margin"
    assert main(["read-margin", "--sizes", "64", "--bias", "v2", "--out", str(out)]) == 0
    margins = json.loads((out / "summary.json").read_text())["margins"]
    assert margins["1S1R"]["64"] > 0.9 > 0.1 > margins["0T1R"]["64"] > 0
    assert (out / "read_margin.png").stat().st_size > 10_000


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
