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
