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
