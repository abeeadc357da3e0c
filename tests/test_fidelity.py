"""Fidelity: every catalog model, in ngspice and in VACASK, against its paper's own equations.

Each model and variant runs memspice's hysteresis study at its three recommended frequencies
(3 periods, 400 points per period) and the last period's undriven quantity (current under a
voltage drive, voltage under a current drive) is compared with the independent solve of
``tests/paper_models.py`` (sharp thresholds and windows, hard bounds, solve_ivp at rtol 1e-10):

* max |sim − paper| < 1 % of the paper's peak, pointwise, for every model but one; the
  Stanford-PKU SET is a runaway whose timing a 1e-6 change of the drive moves by 0.9 ns
  while the current jumps 170× in 10 ps, so it is compared within ±1e-3 of a period
  (``paper_models.ABRUPT``), and its switching time is checked on its own;
* the state's extremes within 1e-2 of its range of the paper's extremes.

Besides the recommended drives, HP without a window is driven by a current that pushes the
state into both hard bounds (0.5 mA at 1 Hz: each half period would sweep x by 1.6).
"""

from __future__ import annotations

import numpy as np
import pytest
from paper_models import ABRUPT, ABRUPT_TIME_TOLERANCE, last_period_error, paper_reference

from memspice.engine.options import RunOptions
from memspice.spicelib import all_models
from memspice.spicelib.catalog import variants
from memspice.studies.hysteresis import HysteresisConfig, run_hysteresis

#: Largest error of the last period's undriven quantity, as a fraction of the paper's peak.
MAX_ERROR = 1e-2
#: Largest difference of the state's extremes from the paper's, as a fraction of the state's range.
MAX_STATE_ERROR = 1e-2
POINTS_PER_CYCLE = 400
CYCLES = 3


def _cases() -> list:
    cases = []
    for model in all_models():
        for values in variants(model):
            choices = {p.name: values[p.name] for p in model.parameters if p.is_choice}
            if choices.get("variation") == "on":
                choices["sigma_var"] = 0.0  # deterministic; VACASK reads the random input as 0 anyway
            drive = model.drive
            label = model.name + "".join(f"[{k}={v}]" for k, v in choices.items())
            cases.append(pytest.param(model.name, choices, drive.kind, drive.amplitude, drive.freqs_hz, id=label))
    cases.append(pytest.param("hp", {"window": "none"}, "current", 5e-4, (1.0,), id="hp[window=none][both bounds]"))
    return cases


@pytest.mark.parametrize("engine", ["shared", "vacask"])
@pytest.mark.parametrize(("model", "params", "drive", "amplitude", "freqs_hz"), _cases())
def test_model_follows_its_papers_equations(model, params, drive, amplitude, freqs_hz, engine) -> None:
    result = run_hysteresis(HysteresisConfig(
        model=model, params=params, drive=drive, amplitude=amplitude, freqs_hz=tuple(freqs_hz),
        cycles=CYCLES, points_per_cycle=POINTS_PER_CYCLE,
    ), options=RunOptions(engine=engine))
    low, high = result.config.catalog_model.state_bounds or (None, None)
    for run in result.runs:
        ref = paper_reference(model, params, drive=drive, amplitude=amplitude, freq_hz=run.freq_hz, cycles=CYCLES)
        waves = run.waveforms
        undriven = waves["i_A"] if drive == "voltage" else waves["v_V"]
        tolerance_s = ABRUPT_TIME_TOLERANCE / run.freq_hz if model in ABRUPT else 0.0
        error = last_period_error(waves["time_s"].to_numpy(), undriven.to_numpy(), ref, time_tolerance_s=tolerance_s)
        where = f"{model} {params} at {run.freq_hz:g} Hz ({engine})"
        assert error < MAX_ERROR, f"{where}: max error {error:.3%} of the paper's peak"
        span = (high - low) if low is not None else float(np.ptp(ref["state"]))
        for simulated, paper in ((waves["state"].min(), ref["state"].min()), (waves["state"].max(), ref["state"].max())):
            assert abs(simulated - paper) < MAX_STATE_ERROR * span, f"{where}: state extreme {simulated:.6g} vs {paper:.6g}"


@pytest.mark.parametrize("engine", ["shared", "vacask"])
def test_stanford_pku_sets_when_its_paper_does(engine) -> None:
    """The runaway SET at 2 V, 1 kHz: the gap crosses mid-range within 1e-3 of a period of the paper's time
    (measured: 4e-4 of a period early in ngspice at 400 points per period, 2.4e-4 in VACASK)."""
    freq_hz = 1e3
    ref = paper_reference("stanford_pku", {}, drive="voltage", amplitude=2.0, freq_hz=freq_hz, cycles=CYCLES)
    run = run_hysteresis(HysteresisConfig(
        model="stanford_pku", freqs_hz=(freq_hz,), cycles=CYCLES, points_per_cycle=POINTS_PER_CYCLE,
    ), options=RunOptions(engine=engine)).runs[0]

    def first_crossing(t: np.ndarray, gap_nm: np.ndarray) -> float:
        last = t >= (CYCLES - 1) / freq_hz
        t, gap_nm = t[last], gap_nm[last]
        k = np.flatnonzero(np.diff(np.sign(gap_nm - 0.9)))[0]
        return float(t[k] + (0.9 - gap_nm[k]) * (t[k + 1] - t[k]) / (gap_nm[k + 1] - gap_nm[k]))

    simulated = first_crossing(run.waveforms["time_s"].to_numpy(), run.waveforms["state"].to_numpy())
    paper = first_crossing(ref["time_s"], ref["state"])
    assert abs(simulated - paper) < ABRUPT_TIME_TOLERANCE / freq_hz, f"SET {simulated - paper:+.3g} s from the paper's"
