"""Readout chain on real ngspice: op-amp macro-model, TIAs, differential pairs, ADC, energy."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from memspice.analysis.crossbar_readers import output_currents
from memspice.analysis.energy import group_energies, power_ports, source_energies
from memspice.analysis.readout import readout_voltages, sample_readout
from memspice.circuits.crossbar import GROUND, CrossbarConfig, External, Source, add_crossbar
from memspice.circuits.crossbar_cells import FixedConductanceCells
from memspice.circuits.readout import (
    DifferenceAmp,
    IntegratingTia,
    ResistiveTia,
    adc_codes,
    adc_lsb_V,
    add_differential,
    add_tia,
    bit_line_ends,
    codes_to_volts,
)
from memspice.engine import run
from memspice.errors import ParameterError
from memspice.netlist import Netlist, Op, Pulse, Resistor, Tran, VoltageSource
from memspice.spicelib.opamp import OpAmp, opamp_subcircuit

ROWS, COLS = 4, 3
RNG = np.random.default_rng(6)
G = RNG.uniform(1e-6, 1e-4, (ROWS, COLS))
G_MINUS = RNG.uniform(1e-6, 1e-4, (ROWS, COLS))
V_IN = np.array([0.1, 0.2, -0.15, 0.05])
R_F = 10e3


def _tia_circuit(config: ResistiveTia, *, r_bit_ohm: float = 0.0):
    netlist = Netlist("resistive TIA readout")
    nodes = add_crossbar(netlist, CrossbarConfig(ROWS, COLS, r_word_ohm=r_bit_ohm, r_bit_ohm=r_bit_ohm),
                         FixedConductanceCells(G), inputs_V=V_IN, bit_lines=[External()] * COLS)
    readout = add_tia(netlist, bit_line_ends(nodes), config)
    netlist.analysis = Op()
    return netlist, readout


def test_resistive_tia_ideal_matches_minus_rf_times_gv():
    config = ResistiveTia(R_F)
    netlist, readout = _tia_circuit(config)
    out = readout_voltages(run(netlist), readout)
    assert_allclose(out, -R_F * (G.T @ V_IN), rtol=1e-3)
    assert readout.outputs == ("roout0", "roout1", "roout2")


def test_resistive_tia_finite_gain_error_matches_closed_form():
    config = ResistiveTia(R_F, opamp=OpAmp(gain=1000.0, gbw_hz=1e6))
    netlist, readout = _tia_circuit(config)
    out = readout_voltages(run(netlist), readout)
    ideal = config.ideal_output_V(G.T @ V_IN)
    predicted = config.expected_output_V(G.T @ V_IN, G.sum(axis=0))
    assert np.all(np.abs(predicted - ideal) > 1e-3 * np.abs(ideal))  # the error is real (> 0.1 %)
    assert_allclose(out - ideal, predicted - ideal, rtol=0.05)


def test_resistive_tia_offset_matches_closed_form():
    config = ResistiveTia(R_F, opamp=OpAmp(offset_V=2e-3))
    netlist, readout = _tia_circuit(config)
    out = readout_voltages(run(netlist), readout)
    predicted = config.expected_output_V(G.T @ V_IN, G.sum(axis=0))
    assert_allclose(out - config.ideal_output_V(G.T @ V_IN), predicted - config.ideal_output_V(G.T @ V_IN),
                    rtol=0.05)


def test_resistive_tia_reference_voltage_moves_the_virtual_ground():
    config = ResistiveTia(R_F, reference_V=0.05)
    netlist, readout = _tia_circuit(config)
    waveforms = run(netlist)
    assert_allclose(waveforms.column("v(bb0)_V")[-1], 0.05, rtol=1e-6)
    assert_allclose(readout_voltages(waveforms, readout), config.ideal_output_V(G.T @ (V_IN - 0.05)), rtol=1e-3)


def test_external_termination_keeps_the_end_segment():
    # With wire resistance the TIA's virtual ground must read what a 0 V sink reads.
    r_wire = 5.0
    sunk = Netlist("sunk")
    nodes = add_crossbar(sunk, CrossbarConfig(ROWS, COLS, r_word_ohm=r_wire, r_bit_ohm=r_wire),
                         FixedConductanceCells(G), inputs_V=V_IN, bit_lines=[GROUND] * COLS)
    sunk.analysis = Op()
    currents = output_currents(nodes, run(sunk))
    netlist, readout = _tia_circuit(ResistiveTia(R_F), r_bit_ohm=r_wire)
    assert readout.inputs == ("bb0", "bb1", "bb2")
    assert_allclose(readout_voltages(run(netlist), readout), -R_F * currents, rtol=1e-6)


def test_output_swing_limits_clamp():
    config = ResistiveTia(1e6, opamp=OpAmp(gain=1e5, v_out_min_V=-1.0, v_out_max_V=1.0))
    netlist, readout = _tia_circuit(config)
    out = readout_voltages(run(netlist), readout)
    # −R_f·I would be −119, −134, −45 V: all clamp at the negative rail (within the clamp width).
    assert_allclose(out, -1.0, atol=5e-3)


def _pulsed_word_lines(start_s: float, width_s: float) -> list[Source]:
    return [Source(Pulse(0.0, float(v), start_s, 1e-9, 1e-9, width_s, 1.0)) for v in V_IN]


def test_integrating_tia_output_at_t():
    config = IntegratingTia(capacitance_f=10e-12, integration_s=1e-6)
    start, end = config.window_s(0)
    width = 0.5e-6
    netlist = Netlist("integrating TIA readout")
    nodes = add_crossbar(netlist, CrossbarConfig(ROWS, COLS), FixedConductanceCells(G),
                         word_lines=_pulsed_word_lines(start + 20e-9, width), bit_lines=[External()] * COLS)
    readout = add_tia(netlist, bit_line_ends(nodes), config)
    assert readout.reset_sources == ("vrorst",)
    netlist.analysis = Tran(1e-9, end + 5e-9, max_step_s=5e-9)
    waveforms = run(netlist)
    charge = (G.T @ V_IN) * (width + 1e-9)  # trapezoid pulse: width + (rise + fall)/2
    assert_allclose(sample_readout(waveforms, readout, end), -charge / config.capacitance_f, rtol=5e-3)
    # The reset holds the output at 0 V before the window.
    assert_allclose(sample_readout(waveforms, readout, start - 2e-9), 0.0, atol=1e-6)


def _differential_circuit(config, *, word_lines=None):
    netlist = Netlist("differential readout")
    conductance = np.hstack([G, G_MINUS])
    kwargs = {"inputs_V": V_IN} if word_lines is None else {"word_lines": word_lines}
    nodes = add_crossbar(netlist, CrossbarConfig(ROWS, 2 * COLS), FixedConductanceCells(conductance),
                         bit_lines=[External()] * (2 * COLS), **kwargs)
    ends = bit_line_ends(nodes)
    difference = DifferenceAmp(input_ohm=10e3, feedback_ohm=20e3)
    readout = add_differential(netlist, ends[:COLS], ends[COLS:], config, difference)
    return netlist, readout, difference


def test_differential_resistive_pair_gives_signed_product():
    netlist, readout, difference = _differential_circuit(ResistiveTia(R_F))
    netlist.analysis = Op()
    out = readout_voltages(run(netlist), readout)
    ideal = difference.gain * R_F * ((G - G_MINUS).T @ V_IN)
    assert_allclose(out, ideal, rtol=5e-3)
    assert readout.outputs == ("rdout0", "rdout1", "rdout2")


def test_differential_integrating_pair_gives_signed_charge():
    config = IntegratingTia(capacitance_f=10e-12, integration_s=1e-6)
    start, end = config.window_s(0)
    width = 0.5e-6
    netlist, readout, difference = _differential_circuit(config, word_lines=_pulsed_word_lines(start + 20e-9, width))
    netlist.analysis = Tran(1e-9, end + 5e-9, max_step_s=5e-9)
    out = sample_readout(run(netlist), readout, end)
    ideal = difference.gain * ((G - G_MINUS).T @ V_IN) * (width + 1e-9) / config.capacitance_f
    assert_allclose(out, ideal, rtol=5e-3)


def test_energy_of_a_resistor_driven_by_a_pulse():
    volts, width, load = 1.5, 5e-6, 1e3
    netlist = Netlist("energy check")
    netlist.add(VoltageSource("p", "a", "0", Pulse(0.0, volts, 1e-6, 1e-9, 1e-9, width, 1.0)),
                Resistor("load", "a", "0", load))
    netlist.analysis = Tran(1e-8, 10e-6, max_step_s=2e-8)
    energies = source_energies(run(netlist), netlist)
    assert energies["vp"] == pytest.approx(volts ** 2 * width / load, rel=0.01)
    windowed = source_energies(run(netlist), netlist, t_start_s=2e-6, t_stop_s=4e-6)
    assert windowed["vp"] == pytest.approx(volts ** 2 * 2e-6 / load, rel=1e-3)
    groups = group_energies(energies, {"inputs": ("vp",)})
    assert groups["inputs"] == groups["total"] == energies["vp"] and groups["other"] == 0.0


def test_energy_of_a_tia_readout_is_split_into_inputs_and_periphery():
    config = ResistiveTia(R_F)
    netlist, _ = _tia_circuit(config)
    assert {port.name for port in power_ports(netlist)} == {"vwl0", "vwl1", "vwl2", "vwl3", "xroamp0", "xroamp1",
                                                            "xroamp2"}
    netlist.analysis = Tran(1e-8, 1e-6)
    waveforms = run(netlist)
    groups = group_energies(source_energies(waveforms, netlist))
    # inputs deliver Σ G·V² over 1 µs; the op-amps deliver V_out·I_f = R_f·I² per column.
    assert groups["inputs"] == pytest.approx(float(np.sum(G * V_IN[:, None] ** 2)) * 1e-6, rel=1e-3)
    assert groups["periphery"] == pytest.approx(float(np.sum(R_F * (G.T @ V_IN) ** 2)) * 1e-6, rel=1e-3)


# --------------------------------------------------------------------------- ADC (no simulation)


def test_adc_mid_tread_codes_and_levels():
    codes = adc_codes([-1.0, 0.0, 0.5, 0.99, 2.0, -3.0], bits=3, v_min=-1.0, v_max=1.0)
    assert codes.dtype == np.int64
    assert codes.tolist() == [0, 4, 6, 7, 7, 0]
    assert adc_lsb_V(bits=3, v_min=-1.0, v_max=1.0) == 0.25
    assert_allclose(codes_to_volts(np.arange(8), bits=3, v_min=-1.0, v_max=1.0), np.arange(-1.0, 1.0, 0.25))
    # round trip on every level, halves round up
    levels = codes_to_volts(np.arange(256), bits=8, v_min=0.0, v_max=2.56)
    assert adc_codes(levels, bits=8, v_min=0.0, v_max=2.56).tolist() == list(range(256))
    assert adc_codes(0.125, bits=3, v_min=-1.0, v_max=1.0) == 5


def test_adc_mid_rise_codes_and_levels():
    codes = adc_codes([-1.0, -0.01, 0.0, 0.99, 1.0], bits=2, v_min=-1.0, v_max=1.0, mode="mid-rise")
    assert codes.tolist() == [0, 1, 2, 3, 3]
    assert_allclose(codes_to_volts(np.arange(4), bits=2, v_min=-1.0, v_max=1.0, mode="mid-rise"),
                    [-0.75, -0.25, 0.25, 0.75])


def test_adc_quantisation_error_is_within_half_an_lsb_inside_full_scale():
    values = np.random.default_rng(0).uniform(-1.0, 1.0 - 2.0 / 2 ** 10, 1000)
    back = codes_to_volts(adc_codes(values, bits=10, v_min=-1.0, v_max=1.0), bits=10, v_min=-1.0, v_max=1.0)
    assert np.max(np.abs(back - values)) <= 0.5 * 2.0 / 2 ** 10 + 1e-15


@pytest.mark.parametrize("kwargs", [
    {"bits": 0, "v_min": 0.0, "v_max": 1.0},
    {"bits": 2.5, "v_min": 0.0, "v_max": 1.0},
    {"bits": 4, "v_min": 1.0, "v_max": 1.0},
    {"bits": 4, "v_min": 0.0, "v_max": float("inf")},
    {"bits": 4, "v_min": 0.0, "v_max": 1.0, "mode": "round"},
])
def test_adc_bad_parameters(kwargs):
    with pytest.raises(ParameterError):
        adc_codes([0.1], **kwargs)


def test_codes_out_of_range_are_rejected():
    with pytest.raises(ParameterError, match=r"\[0, 7\]"):
        codes_to_volts([8], bits=3, v_min=0.0, v_max=1.0)
    with pytest.raises(ParameterError, match="NaN"):
        adc_codes([np.nan], bits=3, v_min=0.0, v_max=1.0)


# --------------------------------------------------------------------------- validation (no simulation)


@pytest.mark.parametrize("factory, match", [
    (lambda: OpAmp(gain=0.5), "gain"),
    (lambda: OpAmp(gain=float("nan")), "gain"),
    (lambda: OpAmp(gbw_hz=0.0), "gbw_hz"),
    (lambda: OpAmp(v_out_min_V=-1.0), "both swing limits"),
    (lambda: OpAmp(v_out_min_V=1.0, v_out_max_V=1.0), "v_out_min_V"),
    (lambda: OpAmp(offset_V="1m"), "offset_V"),
    (lambda: ResistiveTia(0.0), "feedback_ohm"),
    (lambda: ResistiveTia(1e3, opamp="ideal"), "opamp"),
    (lambda: IntegratingTia(capacitance_f=-1e-12, integration_s=1e-6), "capacitance_f"),
    (lambda: IntegratingTia(capacitance_f=1e-12, integration_s=0.0), "integration_s"),
    (lambda: IntegratingTia(capacitance_f=1e-12, integration_s=1e-6, switch_on_ohm=1e6, switch_off_ohm=1e3),
     "switch_on_ohm"),
    (lambda: DifferenceAmp(input_ohm=-5.0), "input_ohm"),
])
def test_bad_parameters_raise(factory, match):
    with pytest.raises(ParameterError, match=match):
        factory()


def test_bad_readout_arguments_leave_the_netlist_untouched():
    netlist = Netlist("untouched")
    for call in (lambda: add_tia(netlist, ["bb0"], ResistiveTia(1e3), prefix="1x"),
                 lambda: add_tia(netlist, "bb0", ResistiveTia(1e3)),
                 lambda: add_tia(netlist, ["bb0", "bb0"], ResistiveTia(1e3)),
                 lambda: add_tia(netlist, ["0"], ResistiveTia(1e3)),
                 lambda: add_tia(netlist, ["bb0"], 1e3),
                 lambda: add_differential(netlist, ["a", "b"], ["c"], ResistiveTia(1e3))):
        with pytest.raises(ParameterError):
            call()
    assert netlist.elements == [] and netlist.subcircuits == []
    with pytest.raises(ParameterError, match="cycle"):
        IntegratingTia(capacitance_f=1e-12, integration_s=1e-6).window_s(-1)


def test_one_subcircuit_per_opamp_model():
    netlist, _ = _tia_circuit(ResistiveTia(R_F, opamp=OpAmp(gain=1e4, gbw_hz=1e7)))
    text = netlist.render()
    assert text.count(".subckt memspice_opamp_") == 1
    assert "Xroamp2 0 bb2 roout2 memspice_opamp_" in text
    assert opamp_subcircuit(OpAmp.ideal()).name == "memspice_opamp_ideal"
