"""The hysteresis study with real ngspice, held against closed forms and the fingerprints."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from memspice.cli import main
from memspice.studies.hysteresis import HysteresisConfig, run_hysteresis


def _single_run(config: HysteresisConfig) -> pd.DataFrame:
    result = run_hysteresis(config)
    (freq_run,) = result.runs
    return freq_run.waveforms


def test_chua_current_drive_matches_closed_form() -> None:
    """v(t) = r0·(1 + 1.25·(q/q0)^4)·i(t), q(t) = ∫ i dt = I0/ω·(1 − cos ωt), from the drive alone."""
    amplitude_A, freq_hz, r0, q0 = 0.5, 0.2, 2.0, 0.8
    config = HysteresisConfig(
        model="chua", params={"r0": r0, "q0": q0}, drive="current", amplitude=amplitude_A,
        freqs_hz=(freq_hz,), cycles=2, points_per_cycle=2000,
    )
    wave = _single_run(config)
    t = wave["time_s"].to_numpy()
    omega = 2 * math.pi * freq_hz
    i_drive = amplitude_A * np.sin(omega * t)
    q = amplitude_A / omega * (1 - np.cos(omega * t))
    v_expected = r0 * (1 + 1.25 * (q / q0) ** 4) * i_drive
    error = np.max(np.abs(wave["v_V"].to_numpy() - v_expected))
    assert error < 0.01 * np.max(np.abs(v_expected))
    np.testing.assert_allclose(wave["state"].to_numpy(), q, atol=1e-3 * q.max())


def test_hp_without_window_current_drive_matches_closed_form() -> None:
    """M(q) = Ron·x(q) + Roff·(1 − x(q)), x(q) = x0 + µv·Ron·q/D² (Strukov 2008, eq. 2)."""
    ron, roff, d, uv, x0 = 100.0, 16e3, 10e-9, 1e-14, 0.1
    amplitude_A, freq_hz = 1e-4, 1.0
    config = HysteresisConfig(
        model="hp", params={"window": "none", "ron": ron, "roff": roff, "d": d, "uv": uv, "x0": x0},
        drive="current", amplitude=amplitude_A, freqs_hz=(freq_hz,), cycles=2, points_per_cycle=2000,
    )
    wave = _single_run(config)
    t = wave["time_s"].to_numpy()
    omega = 2 * math.pi * freq_hz
    q = amplitude_A / omega * (1 - np.cos(omega * t))
    x = x0 + uv * ron * q / d**2
    assert 0.1 <= x.min() and x.max() < 0.5  # the drive keeps the state well inside [0, 1]
    v_expected = (ron * x + roff * (1 - x)) * amplitude_A * np.sin(omega * t)
    error = np.max(np.abs(wave["v_V"].to_numpy() - v_expected))
    assert error < 0.01 * np.max(np.abs(v_expected))


@pytest.mark.parametrize(
    ("model", "params", "freqs_hz"),
    [("hp", {"window": "biolek"}, (1.0, 10.0, 100.0)), ("vteam", {}, (1e7, 1e8, 1e9))],
)
def test_voltage_driven_loops_are_pinched_and_shrink_with_frequency(model, params, freqs_hz) -> None:
    result = run_hysteresis(HysteresisConfig(model=model, params=params, freqs_hz=freqs_hz))
    areas = [r.fingerprint.lobe_area_norm for r in result.runs]
    assert [r.freq_hz for r in result.runs] == list(freqs_hz)
    assert max(r.fingerprint.pinch_ratio for r in result.runs) < 1e-3
    assert areas[0] > areas[1] > areas[2], areas
    assert result.verdicts is not None and result.verdicts.pinched and result.verdicts.area_decreasing
    low, high = get_bounds(result)
    assert -0.01 <= low and high <= 1.01


def get_bounds(result) -> tuple[float, float]:
    states = np.concatenate([r.waveforms["state"].to_numpy() for r in result.runs])
    return float(states.min()), float(states.max())


def test_cli_hysteresis_writes_every_output(tmp_path, capsys) -> None:
    out = tmp_path / "hp"
    status = main(
        ["hysteresis", "--model", "hp", "--set", "window=biolek", "--freq", "1,10,100", "--cycles", "2",
         "--points-per-cycle", "500", "--out", str(out)]
    )
    assert status == 0
    waveforms = pd.read_csv(out / "waveforms.csv")
    assert list(waveforms.columns[:5]) == ["freq_hz", "time_s", "v_V", "i_A", "state"]
    assert sorted(waveforms["freq_hz"].unique()) == [1.0, 10.0, 100.0]
    prints = pd.read_csv(out / "fingerprints.csv")
    assert {"freq_hz", "lobe_area", "lobe_area_norm", "pinch_ratio"} <= set(prints.columns)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["verdicts"]["pinched"] and summary["verdicts"]["area_decreasing"]
    assert summary["verdicts"]["high_frequency_collapse"]
    assert (out / "hysteresis.png").stat().st_size > 10_000
    netlists = sorted(p.name for p in out.glob("*.cir"))
    assert netlists == ["hysteresis_hp_100Hz.cir", "hysteresis_hp_10Hz.cir", "hysteresis_hp_1Hz.cir"]
    assert not list(out.glob(".*.part"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model", "hp", "--set", "ron=-100"], "hp.ron=-100 is outside the allowed range"),
        (["--model", "hp", "--set", "roff=50"], "roff=50 Ω must be greater than ron=100 Ω"),
        (["--model", "hp", "--set", "x0=2"], "hp.x0=2 is outside the allowed range [0, 1]"),
        (["--model", "hp", "--set", "x0=nan"], "hp.x0='nan' is not a number"),
        (["--model", "hpx"], "unknown memristor model 'hpx'"),
        (["--model", "hp", "--set", "rom=1"], "model 'hp' has no parameter 'rom'"),
        (["--model", "hp", "--set", ".control=1"], "has no parameter '.control'"),
        (["--model", "hp", "--set", "roff=1M"], "ambiguous"),
    ],
)
def test_cli_bad_input_fails_before_simulation(tmp_path, capsys, argv, message) -> None:
    out = tmp_path / "never"
    assert main(["hysteresis", *argv, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
