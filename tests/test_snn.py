"""Spiking network (issue 19): integrate-and-fire neurons, traces and STDP on a 1T1R array,
simulated in ngspice and held against closed forms derived here."""

from __future__ import annotations

import math

import numpy as np
import pytest

from memspice.analysis.spikes import spike_times, steady_rate_hz
from memspice.circuits.neurons import NeuronDesign, add_if_neuron
from memspice.engine.runner import run
from memspice.errors import ParameterError
from memspice.netlist import CurrentSource, Dc, Netlist, Tran
from simulators import needs_ngspice


def _rate_closed_form(c_F: float, v_th_V: float, current_A: float, t_ref_s: float, r_leak_ohm: float = 0.0) -> float:
    """1 / (charging time + t_ref): C·V_th/I without a leak; with a leak R, V(t) = I·R·(1 − e^(−t/RC))
    reaches V_th at t = −RC·ln(1 − V_th/(I·R))."""
    if not r_leak_ohm:
        return 1.0 / (c_F * v_th_V / current_A + t_ref_s)
    return 1.0 / (-r_leak_ohm * c_F * math.log(1 - v_th_V / (current_A * r_leak_ohm)) + t_ref_s)


@needs_ngspice
def test_firing_rate_follows_the_closed_form_over_a_decade_of_current() -> None:
    design = NeuronDesign(capacitance_F=1e-12, v_threshold_V=0.5, refractory_s=50e-9)
    leaky = NeuronDesign(capacitance_F=1e-12, v_threshold_V=0.5, refractory_s=50e-9, leak_resistance_ohm=200e3)
    currents = np.logspace(-6, -5, 4)  # charging 500 ns ... 50 ns against t_ref 50 ns
    netlist = Netlist(title="integrate-and-fire neurons under constant currents")
    neurons = []
    for k, current in enumerate(currents):
        neurons.append((add_if_neuron(netlist, f"n{k}", design), design, float(current)))
        netlist.add(CurrentSource(f"Iin{k}", "0", neurons[-1][0].membrane, Dc(float(current))))
    neurons.append((add_if_neuron(netlist, "nleak", leaky), leaky, 5e-6))
    netlist.add(CurrentSource("Iinleak", "0", neurons[-1][0].membrane, Dc(5e-6)))
    netlist.analysis = Tran(step_s=0.1e-9, stop_s=3e-6, max_step_s=0.2e-9, uic=True)
    waveforms = run(netlist)
    time_s = waveforms.column("time_s")
    for nodes, used, current in neurons:
        times = spike_times(time_s, waveforms.column(f"v({nodes.spike})_V"))
        assert times.size >= 5
        expected = _rate_closed_form(used.capacitance_F, used.v_threshold_V, current, used.refractory_s,
                                     used.leak_resistance_ohm)
        assert steady_rate_hz(times) == pytest.approx(expected, rel=0.02), nodes.name
        assert used.rate_hz(current) == pytest.approx(expected, rel=1e-12)
        # The first spike comes after one charging time from rest.
        assert times[0] == pytest.approx(1 / expected - used.refractory_s, rel=0.02)
        membrane = waveforms.column(f"v({nodes.membrane})_V")
        assert membrane.max() < used.v_threshold_V * 1.01 and membrane.min() > -0.01


def test_neuron_design_is_checked() -> None:
    with pytest.raises(ParameterError, match="capacitance_F"):
        NeuronDesign(capacitance_F=0.0)
    with pytest.raises(ParameterError, match="reset time"):
        NeuronDesign(capacitance_F=1e-9, reset_conductance_S=1e-6)
    assert NeuronDesign(leak_resistance_ohm=1e5).rate_hz(1e-6) == 0.0  # I·R = 0.1 V never reaches 0.5 V


def _clock(t_s: np.ndarray, start_s: float, phase_s: float, edge_s: float) -> np.ndarray:
    """A 0-1 trapezoid: rises over edge_s from start_s, falls to 0 at start_s + phase_s."""
    u = t_s - start_s
    return np.clip(np.minimum(u / edge_s, (phase_s - u) / edge_s), 0.0, 1.0)


@pytest.fixture(scope="module")
def window():
    from memspice.flows.spiking import SpikingBench, stdp_pairs

    bench = SpikingBench(1, 1)
    return bench, stdp_pairs(bench, max_slots=8)


@needs_ngspice
def test_stdp_window_is_the_designed_exponential(window) -> None:
    from memspice.analysis.stdp import fit_window

    bench, pairs = window
    assert pairs.post_spikes == (1,) * pairs.dt_s.size + (0, 1)  # one forced post spike per pair, none pre-only
    causal = pairs.dt_s >= 0
    # Sign change at Δt = 0: every pre-before-post pair potentiates, every post-before-pre depresses.
    assert (pairs.dg_S[causal] > 0).all() and (pairs.dg_S[~causal] < 0).all()
    assert (np.diff(pairs.dg_S[causal]) < 0).all() and (np.diff(pairs.dg_S[~causal]) < 0).all()
    fit = fit_window(pairs.dt_s, pairs.dg_S)
    assert fit.ltp.tau_s == pytest.approx(bench.design.pre_trace.resistance_ohm * bench.design.pre_trace.capacitance_F,
                                          rel=0.05)
    assert fit.ltd.tau_s == pytest.approx(bench.design.post_trace.resistance_ohm
                                          * bench.design.post_trace.capacitance_F, rel=0.05)
    # An unpaired spike leaves the synapse (almost) alone: the pulses sit at the device threshold.
    peak = np.abs(pairs.dg_S).max()
    assert abs(pairs.unpaired_dg_S["pre_only"]) < 0.01 * peak and abs(pairs.unpaired_dg_S["post_only"]) < 0.01 * peak


@needs_ngspice
def test_potentiation_at_zero_delay_matches_the_device_equation(window) -> None:
    """Δx of the Δt = 0 pair from VTEAM's own rate, integrated in numpy over the designed pulse:
    the pre-trace is the read clock's charge through R·C; the cell sees −(V_th + a)·clk_LTP with
    a = k_LTP·x_pre, and dx/dt = k_on·(v/v_on − 1)/D past the threshold (α_on = 1)."""
    bench, pairs = window
    design, params = bench.design, bench.array.params
    clock, step = design.clock, 1e-12
    t = np.arange(0.0, clock.slot_s, step)
    drive = design.pre_trace.jump_V / clock.area_s * _clock(t, 0.0, clock.phase_s, clock.edge_s)
    decay = np.exp(-step / design.pre_trace.tau_s)
    trace = np.zeros_like(t)
    for k in range(1, t.size):
        trace[k] = trace[k - 1] * decay + drive[k] * step
    amplitude = np.minimum(design.stdp.ltp_gain * trace, design.stdp.max_over_threshold_V)
    threshold = abs(params["v_on"])
    cell = (threshold + amplitude) * _clock(t, 2 * clock.phase_s, clock.phase_s, clock.edge_s)
    expected = params["k_on"] / params["d"] * np.trapezoid(np.maximum(cell - threshold, 0.0) / threshold, t)
    assert pairs.dx[pairs.dt_s == 0][0] == pytest.approx(expected, rel=0.05)


@needs_ngspice
def test_unsupervised_learning_gives_each_letter_its_own_neuron(tmp_path, capsys) -> None:
    """3 letters × 3 neurons, seeded: after training each letter makes a different neuron fire
    first (learning off), and that neuron's conductances resemble the letter."""
    import json

    import pandas as pd

    from memspice.analysis.letters import LETTERS
    from memspice.cli import main

    out = tmp_path / "snn"
    assert main(["snn", "--window-slots", "0", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "distinct" in printed and "fJ" in printed
    summary = json.loads((out / "summary.json").read_text())
    first = summary["first_neuron"]
    assert sorted(first.values()) == [0, 1, 2] and summary["distinct_neurons"] is True
    for letter, correlation in summary["correlation_of_assigned_neuron"].items():
        assert correlation > 0.3, letter
    # The correlations in the summary are those of the final weights in weights.csv.
    weights = pd.read_csv(out / "weights.csv")
    final = weights[weights.epoch == weights.epoch.max()]
    for letter, neuron in first.items():
        g = final[final.neuron == neuron].sort_values("input").g_S.to_numpy()
        assert np.corrcoef(g, LETTERS[letter].ravel())[0, 1] == pytest.approx(
            summary["correlation_of_assigned_neuron"][letter], abs=1e-9)
        level = (g - 1 / 100e3) / ((1 / 10e3 - 1 / 100e3) / 63)  # the 64 levels between 1/R_off and 1/R_on
        assert np.abs(level - np.round(level)).max() < 1e-6
    # The first spike of each test presentation is the first neuron's.
    spikes = pd.read_csv(out / "spikes.csv")
    tests = spikes[(spikes.phase == "test") & (spikes.kind == "output")]
    for letter, neuron in first.items():
        rows = tests[tests.letter == letter]
        assert int(rows.sort_values("time_s")["index"].iloc[0]) == neuron
    energy = summary["energy"]
    assert energy["paper_per_spike_J"] == 20e-15 and "gate lines" in energy["includes"]
    per_spike = energy["test"]["per_output_spike_J"]
    assert per_spike["total"] == pytest.approx(per_spike["array"] + per_spike["neuron"] + per_spike["learning"])
    assert abs(per_spike["learning"]) < 1e-3 * per_spike["total"]  # learning is off in the test
    # The membrane takes at least 1/2·C·V_th² per output spike (its conveyor also charges losers).
    assert per_spike["neuron"] >= 0.5 * 1e-12 * 0.5**2
    for name in ("raster.png", "waveforms.png", "weights.png", "spikes.csv", "weights.csv", "stdp.csv",
                 "train_segment.cir"):
        assert (out / name).stat().st_size > 0


@pytest.mark.parametrize(("argv", "message"), [
    (["--refractory", "20n"], "--refractory=2e-08 is not allowed"),
    (["--max-step", "5n"], "--max-step=5e-09 is not allowed"),
    (["--set", "alpha_on=3"], "alpha_on = alpha_off = 1"),
    (["--engine", "vacask"], "--engine='vacask' is not allowed; allowed: auto, shared, subprocess"),
])
def test_bad_snn_options_are_refused_before_anything_runs(argv, message, tmp_path, capsys) -> None:
    from memspice.cli import main

    out = tmp_path / "never"
    assert main(["snn", *argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_states_are_quantised_to_equally_spaced_conductance_levels() -> None:
    """Nearest rounding lands on one of the 64 levels between 1/R_off and 1/R_on within half a
    level; stochastic rounding keeps the mean conductance (seeded, 400 draws)."""
    from memspice.flows.spiking import SpikingBench, conductance_table, quantise_states

    bench = SpikingBench(3, 2)
    table = conductance_table(bench)
    states = np.random.default_rng(1).uniform(0.0, 1.0, (3, 2))
    step = (1 / bench.array.params["ron"] - 1 / bench.array.params["roff"]) / 63
    g = bench.conductance_S(states)
    nearest = bench.conductance_S(quantise_states(bench, table, states, 64))
    level = (nearest - 1 / bench.array.params["roff"]) / step
    assert np.abs(level - np.round(level)).max() < 1e-6 and np.abs(nearest - g).max() <= 0.5 * step * (1 + 1e-9)
    rng = np.random.default_rng(2)
    draws = np.array([bench.conductance_S(quantise_states(bench, table, states, 64, rng)) for _ in range(400)])
    assert np.abs(draws - g).max() < step * (1 + 1e-9)
    np.testing.assert_allclose(draws.mean(axis=0), g, atol=0.1 * step)


def test_cost_refuses_a_run_that_cannot_finish(tmp_path, capsys) -> None:
    from memspice.cli import main

    assert main(["snn", "--slots", "10000", "--max-step", "1p", "--out", str(tmp_path / "never")]) == 2
    err = capsys.readouterr().err
    assert "--max-points" in err and "--slots" in err and not (tmp_path / "never").exists()


def test_spike_signals_are_high_exactly_in_their_slots() -> None:
    """The 0-1 V spike signal of an input is 1 over every phase's flat top of its slots and 0
    over every other slot's (edges only at slot boundaries)."""
    from memspice.circuits.spiking import PHASES, SlotClock, spike_signal

    clock = SlotClock()
    for slots in ([0], [0, 1, 2], [3], [1, 2, 5, 7, 8], []):
        signal = spike_signal(slots, clock)
        points = np.array(getattr(signal, "points", [(0.0, 0.0)]))
        for slot in range(10):
            for phase in PHASES:
                start, stop = clock.window_s(slot, phase)
                value = np.interp([start, (start + stop) / 2, stop], points[:, 0], points[:, 1], right=points[-1, 1])
                assert (value == (1.0 if slot in slots else 0.0)).all(), (slots, slot, phase)


@needs_ngspice
def test_the_window_follows_the_trace_rc() -> None:
    """With 60 ns traces (0.6 of the default R·C) the fitted τ moves with them."""
    import dataclasses

    from memspice.analysis.stdp import fit_window
    from memspice.circuits.spiking import SpikingDesign
    from memspice.circuits.stdp import TraceDesign
    from memspice.flows.spiking import SpikingBench, stdp_pairs

    trace = TraceDesign(tau_s=60e-9)
    bench = SpikingBench(1, 1, dataclasses.replace(SpikingDesign(), pre_trace=trace, post_trace=trace))
    pairs = stdp_pairs(bench, max_slots=5)
    fit = fit_window(pairs.dt_s, pairs.dg_S)
    assert fit.ltp.tau_s == pytest.approx(trace.resistance_ohm * trace.capacitance_F, rel=0.05)
    assert fit.ltd.tau_s == pytest.approx(trace.resistance_ohm * trace.capacitance_F, rel=0.05)
